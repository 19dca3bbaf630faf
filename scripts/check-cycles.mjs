#!/usr/bin/env node
// Import cycles in src/: builds the module graph with the TypeScript compiler's own parser (no extra
// dependency) and prints every cycle. Exit 0 when there is none, 1 when there is, 2 on a usage error.
//
//   node scripts/check-cycles.mjs [dir]      (default: src)
//
// What counts as an edge (the architecture goal is "dependencies point one way", not only "no runtime
// cycle", so all of these count):
// - `import ... from './x.js'` and `export ... from './x.js'`, value or `import type` alike: a type-only
//   cycle is erased at runtime, but it still ties two modules together so neither can be understood,
//   moved or tested alone. Type-only edges are marked `(type)` in the report so they are easy to find.
// - `await import('./x.js')` with a literal relative specifier: a lazy edge is still a dependency.
// Package imports (`zod`, `node:fs`) are not edges; only relative specifiers inside the scanned tree are.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Every .ts file under dir (declaration files excluded), as absolute paths. */
function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The relative imports of one file: { specifier, typeOnly }. */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found = [];
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      // `import type {…}`, or `import { type a, type b }` where every named binding is a type.
      const named = clause?.namedBindings;
      const allNamedTypes =
        clause !== undefined &&
        clause.name === undefined &&
        named !== undefined &&
        ts.isNamedImports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly);
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: Boolean(clause?.isTypeOnly) || allNamedTypes });
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length === 1 &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.filter((i) => i.specifier.startsWith('.'));
}

/** './x.js' from /a/b.ts → /a/x.ts (NodeNext style: the .js specifier names the .ts source). */
function resolveSpecifier(from, specifier, known) {
  const base = resolve(dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => known.has(c));
}

/** The import graph of dir: module (path relative to dir) → its edges. */
export function importGraph(dir) {
  const root = resolve(dir);
  const files = sourceFiles(root);
  const known = new Set(files);
  const graph = new Map();
  for (const file of files) {
    const edges = new Map();
    for (const { specifier, typeOnly } of importsOf(file)) {
      const target = resolveSpecifier(file, specifier, known);
      if (target === undefined) continue;
      const to = relative(root, target);
      // A value import anywhere makes the edge a value edge.
      edges.set(to, (edges.get(to) ?? true) && typeOnly);
    }
    graph.set(
      relative(root, file),
      [...edges].map(([to, typeOnly]) => ({ to, typeOnly })),
    );
  }
  return graph;
}

/** Strongly connected components with more than one module, or a module importing itself (Tarjan). */
function tangles(graph) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const out = [];
  const connect = (v) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const { to } of graph.get(v) ?? []) {
      if (!index.has(to)) {
        connect(to);
        low.set(v, Math.min(low.get(v), low.get(to)));
      } else if (onStack.has(to)) {
        low.set(v, Math.min(low.get(v), index.get(to)));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).some((e) => e.to === v);
      if (component.length > 1 || selfLoop) out.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return out;
}

/** One shortest cycle through `start` inside its component (breadth-first), as a list of edges. */
function cycleThrough(graph, start, members) {
  const back = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const edge of graph.get(v) ?? []) {
      if (!members.has(edge.to)) continue;
      if (edge.to === start) {
        const path = [{ from: v, ...edge }];
        for (let at = v; back.get(at) !== undefined; at = back.get(at).from) path.unshift(back.get(at));
        return path;
      }
      if (!back.has(edge.to)) {
        back.set(edge.to, { from: v, ...edge });
        queue.push(edge.to);
      }
    }
  }
  return [];
}

/**
 * The import cycles of dir: one entry per tangle of modules that reach each other, with the modules and one
 * shortest cycle through the first of them (fixing that cycle may leave others in the same tangle; run again).
 */
export function findCycles(dir) {
  const graph = importGraph(dir);
  return tangles(graph).map((modules) => ({
    modules,
    cycle: cycleThrough(graph, modules[0], new Set(modules)),
  }));
}

/** A report a person can act on: each cycle as `a.ts --> b.ts -type-> a.ts` (`-type->`: a type-only import). */
export function formatCycles(cycles) {
  if (cycles.length === 0) return 'no import cycles';
  const lines = [`${cycles.length} import cycle${cycles.length === 1 ? '' : 's'}:`];
  for (const { modules, cycle } of cycles) {
    const path = cycle.map((e) => `${e.from} ${e.typeOnly ? '-type->' : '-->'}`).join(' ');
    lines.push(`- ${path} ${cycle[0]?.from ?? ''}`);
    if (modules.length > cycle.length) lines.push(`  (tangle of ${modules.length}: ${modules.join(', ')})`);
  }
  return lines.join('\n');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    console.error(`check-cycles: ${dir} is not a directory`);
    process.exit(2);
  }
  const cycles = findCycles(dir);
  console.log(formatCycles(cycles));
  process.exit(cycles.length === 0 ? 0 : 1);
}
