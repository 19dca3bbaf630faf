// Tool modules: a role's own TypeScript or JavaScript files, imported at runtime; and the tools a role
// ends up with (built-ins, module tools and inline tools, restricted to the names it lists).
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { defineRole } from '../../src/roles/define.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { defineTool } from '../../src/tools/define.js';
import { loadToolModules } from '../../src/tools/modules.js';
import { resolveRoleTools } from '../../src/tools/registry.js';
import { fixtures, repoRoot } from '../support/paths.js';
import { tempDir } from '../support/tmp.js';

const module = (name: string) => fixtures('tool-modules', name);
const tmp = tempDir('nightshift-modules-');
after(() => tmp.cleanup());
// Modules written into the temp dir import zod, as a project's would.
mkdirSync(join(tmp.path, 'node_modules'));
symlinkSync(join(repoRoot, 'node_modules', 'zod'), join(tmp.path, 'node_modules', 'zod'), 'dir');

describe('loading tool modules', () => {
  it('collects every tool a TypeScript module exports: named, in arrays, and the default', async () => {
    const tools = await loadToolModules([module('crm.ts')]);
    assert.deepEqual(tools.map((t) => t.name).sort(), ['crm.lookup', 'crm.note', 'crm.tag']);
    const tag = tools.find((t) => t.name === 'crm.tag')!;
    assert.equal(tag.effect, 'write');
    assert.equal(tag.idempotent, true);
    assert.deepEqual(await tag.run({ email: 'a@b.c', tag: 'vip' }, undefined as never), { ok: true });
  });

  it('loads a plain JavaScript module', async () => {
    const tools = await loadToolModules([module('plain.mjs')]);
    assert.deepEqual(
      tools.map((t) => t.name),
      ['tickets.close'],
    );
  });

  it('returns the same tool objects when a module is asked for again', async () => {
    const [a] = await loadToolModules([module('crm.ts')]);
    const [b] = await loadToolModules([module('crm.ts')]);
    assert.equal(a, b);
  });

  it('refuses a module that exports no tools, naming it', async () => {
    await assert.rejects(loadToolModules([module('none.ts')]), {
      code: 'TOOL_MODULE_INVALID',
      message: `tool module ${module('none.ts')} exports no tools (export the results of defineTool)`,
    });
  });

  it('refuses a module that exports two different tools with one name', async () => {
    await assert.rejects(loadToolModules([module('duplicate.ts')]), {
      code: 'TOOL_MODULE_INVALID',
      message: `tool module ${module('duplicate.ts')} exports two different tools named crm.lookup`,
    });
  });

  it('reports a module that throws while loading, or does not exist', async () => {
    await assert.rejects(loadToolModules([module('broken.ts')]), {
      code: 'TOOL_MODULE_INVALID',
      message: /broken\.ts failed to load: the CRM client needs CRM_TOKEN/,
    });
    await assert.rejects(loadToolModules([module('absent.ts')]), {
      code: 'TOOL_MODULE_INVALID',
      message: /absent\.ts not found/,
    });
  });

  it('imports a module again after it changes', async () => {
    const file = join(tmp.path, 'changing.ts');
    const write = (name: string, at: number) => {
      writeFileSync(
        file,
        `import { defineTool } from ${JSON.stringify(join(repoRoot, 'src', 'tools', 'define.ts'))};\n` +
          `import { z } from 'zod';\n` +
          `export const t = defineTool({ name: '${name}', description: 'd', input: z.object({}), effect: 'read', run: () => 1 });\n`,
      );
      utimesSync(file, at, at);
    };
    write('temp.one', 1_700_000_000);
    assert.deepEqual(
      (await loadToolModules([file])).map((t) => t.name),
      ['temp.one'],
    );
    write('temp.two', 1_700_000_100);
    assert.deepEqual(
      (await loadToolModules([file])).map((t) => t.name),
      ['temp.two'],
    );
  });
});

describe('the size of a tool module', () => {
  // Valid JavaScript exporting a tool, made 16 MiB + 1 byte long by a comment: only its size can refuse it.
  const big = join(tmp.path, 'big.mjs');
  const source =
    `import { defineTool } from ${JSON.stringify(join(repoRoot, 'dist', 'src', 'tools', 'define.js'))};\n` +
    `import { z } from 'zod';\n` +
    `export const t = defineTool({ name: 'big.tool', description: 'd', input: z.object({}), effect: 'read', run: () => 1 });\n`;
  writeFileSync(big, `${source}//${'x'.repeat(16 * 1024 * 1024 + 1 - source.length - 3)}\n`);
  const tooLarge =
    /tool module .*big\.mjs is 16,777,217 bytes \(16\.0 MiB\); nightshift reads tool modules of at most 16,777,216 bytes \(16 MiB\)/;

  it('refuses a module over 16 MiB before importing it, naming it and the cap', async () => {
    await assert.rejects(loadToolModules([big]), { code: 'TOOL_MODULE_INVALID', message: tooLarge });
  });

  it('a role file naming one is invalid at toolModules[0]', async () => {
    const file = join(tmp.path, 'big-role.yaml');
    writeFileSync(
      file,
      'name: big\ndescription: d\nautonomy: draft\nmodel: anthropic:claude-sonnet-4-5\ninstructions: i\ntools: [big.tool]\ntoolModules: [./big.mjs]\n',
    );
    await assert.rejects(loadRoleFile(file), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ROLE_INVALID');
      assert.match(err.message, /toolModules\[0\]: tool module .*big\.mjs is 16,777,217 bytes/);
      return true;
    });
  });

  it('defineRole naming one fails while computing the version, not by reading it whole', () => {
    assert.throws(
      () =>
        defineRole(
          {
            name: 'big',
            description: 'd',
            autonomy: 'draft',
            model: 'anthropic:claude-sonnet-4-5',
            instructions: 'i',
            tools: ['big.tool'],
            toolModules: [big],
          },
          { dir: tmp.path },
        ),
      { code: 'TOOL_MODULE_INVALID', message: tooLarge },
    );
  });
});

describe("resolving a role's tools", () => {
  const inline = defineTool({
    name: 'billing.invoice',
    description: 'Show an invoice',
    input: z.object({ id: z.string() }),
    effect: 'read',
    run: () => ({}),
  });
  const role = (tools: (string | typeof inline)[]) =>
    defineRole(
      {
        name: 'resolver',
        description: 'd',
        autonomy: 'draft',
        model: 'anthropic:claude-sonnet-4-5',
        instructions: 'i',
        tools,
        toolModules: [module('crm.ts')],
      },
      { dir: tmp.path },
    );

  it('gives exactly the listed tools, from built-ins, modules and inline tools', async () => {
    const tools = await resolveRoleTools(role(['fs.read', 'crm.lookup', inline]));
    assert.deepEqual([...tools.keys()], ['fs.read', 'crm.lookup', 'billing.invoice']);
    assert.equal(tools.get('billing.invoice'), inline);
    assert.equal(tools.get('fs.read')?.effect, 'read');
  });

  it('fails with TOOL_NOT_FOUND for a listed name nothing provides', async () => {
    await assert.rejects(resolveRoleTools(role(['fs.read', 'crm.lokup'])), {
      code: 'TOOL_NOT_FOUND',
      message:
        /lists tool 'crm\.lokup', which no built-in or tool module provides \(available: .*crm\.lookup/,
    });
  });
});
