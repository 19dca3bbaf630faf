#!/usr/bin/env node
// The CLI entry. The TypeScript sources are compiled to dist/ by `npm install` (prepare) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('nightshift is not built: run `npm install` (or `npm run build`) in the nightshift folder first\n');
  process.exit(2);
}
// A reader that stops early (`nightshift audit | head -3`) closes the pipe: what is left to print is
// dropped, as cat and grep do, instead of the process dying on an unhandled EPIPE with a stack trace.
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE') throw err;
});
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
