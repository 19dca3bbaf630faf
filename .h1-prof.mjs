import D from '/work/wt/h1/node_modules/better-sqlite3/lib/index.js';
import { sqliteStatsDialect as d } from '/work/wt/h1/dist/src/store/sql/stats.js';
import { planFill, planReport } from '/work/wt/h1/dist/src/store/sql/stats-rollup.js';
import { runPlanSync } from '/work/wt/h1/dist/src/store/sql/stats-plan.js';
const db = new D(process.argv[2]);
if (process.argv[3] === 'reset') db.exec('DELETE FROM stats_rollup; DELETE FROM stats_rollup_values; DELETE FROM stats_rollup_pending; DELETE FROM stats_rollup_state');
const cache = new Map();
function prof(plan) {
  const counts = {};
  const t = performance.now();
  const out = runPlanSync(plan, (step) => {
    const k = step.mode + ' ' + step.query.text.slice(0, 70).replace(/\s+/g, ' ');
    const t0 = performance.now();
    let st = cache.get(step.query.text);
    if (!st) { st = db.prepare(step.query.text); cache.set(step.query.text, st); }
    let out = [];
    if (step.mode === 'run') st.run(step.query.params);
    else out = st.raw(step.mode === 'raw').all(step.query.params);
    counts[k] = counts[k] || [0, 0];
    counts[k][0]++;
    counts[k][1] += performance.now() - t0;
    return out;
  });
  console.log('total', (performance.now() - t).toFixed(0));
  for (const [k, v] of Object.entries(counts)) if (v[1] > 5) console.log(v[0], v[1].toFixed(0), k);
  return out;
}
let fold = true;
db.exec('BEGIN IMMEDIATE');
while (prof(planFill(d, Date.now(), fold))) fold = false;
prof(planFill(d, Date.now(), true));
db.exec('COMMIT');
const t = performance.now();
const r = prof(planReport(d, {}));
const p = r.values.percentiles();
console.log('report+rank', (performance.now() - t).toFixed(0), r.figures.runs.reduce((n, x) => n + x.count, 0));
