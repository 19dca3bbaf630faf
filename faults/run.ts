// `npm run test:faults`: runs the fault-injection scenarios (dist/faults/*.test.js) one file at a time
// (they kill, freeze and starve real processes; two at once would disturb each other's timing), then
// gathers the rows they measured into dist/faults/results.md and results.json and prints the table.
// Arguments filter the scenario files by name: `npm run test:faults -- kill hostile`.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRows, renderTable, resultsDir } from './support/results.js';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()
  .map((f) => join(here, f));
if (files.length === 0) {
  process.stderr.write(`no fault scenario matches ${filters.join(' ')}\n`);
  process.exit(2);
}

rmSync(resultsDir, { recursive: true, force: true });
const tap = join(here, 'results.tap');
const started = Date.now();
const run = spawnSync(
  process.execPath,
  [
    '--enable-source-maps',
    '--test',
    '--test-concurrency=1',
    '--test-timeout=600000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ],
  { stdio: 'inherit' },
);
// In CI a skipped scenario (no Postgres, not root) is a failure, never a silent gap in the table.
const skipped = Number(/^# skipped (\d+)$/m.exec(readFileSync(tap, 'utf8'))?.[1] ?? 0);
const rows = readRows();
const table = renderTable(rows);
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
const md = `# Fault table\n\nMeasured by \`npm run test:faults\` on ${new Date().toISOString().slice(0, 10)} (node ${process.version}, ${minutes} min).\n\n${table}`;
writeFileSync(join(here, 'results.md'), md);
writeFileSync(join(here, 'results.json'), `${JSON.stringify(rows, null, 2)}\n`);
process.stdout.write(`\n${md}\nWritten to ${join(here, 'results.md')}\n`);
if (skipped > 0 && process.env.CI === 'true') {
  process.stderr.write(`${skipped} fault scenario(s) skipped; with CI=true that is a failure\n`);
  process.exit(1);
}
process.exit(run.status ?? 1);
