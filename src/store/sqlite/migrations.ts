// Numbered, forward-only migrations. Kept as TypeScript strings so the build ships them. Never edit a
// released migration; add the next number.
import type Database from 'better-sqlite3';
import { sealUnchainedAudit } from './audit-chain.js';
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Work SQL cannot do (SQLite has no sha256), run after `sql` in the same transaction. */
  after?: (db: Database.Database) => void;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  role_version TEXT NOT NULL,
  model TEXT NOT NULL,
  status TEXT NOT NULL,
  input TEXT NOT NULL,
  output TEXT,
  error TEXT,
  seq INTEGER NOT NULL,
  turns INTEGER NOT NULL,
  usage TEXT NOT NULL,
  active_ms INTEGER NOT NULL,
  grant_json TEXT NOT NULL,
  idempotency_key TEXT UNIQUE,
  lease_owner TEXT,
  lease_until INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX runs_created ON runs (created_at DESC, id DESC);
CREATE INDEX runs_role_created ON runs (role, created_at DESC);
CREATE INDEX runs_status ON runs (status, created_at DESC);

CREATE TABLE steps (
  run_id TEXT NOT NULL REFERENCES runs (id),
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  at INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE tool_calls (
  run_id TEXT NOT NULL REFERENCES runs (id),
  step INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  key TEXT NOT NULL,
  call_id TEXT NOT NULL,
  tool TEXT NOT NULL,
  args TEXT NOT NULL,
  args_hash TEXT NOT NULL,
  decision TEXT NOT NULL,
  reason TEXT NOT NULL,
  status TEXT NOT NULL,
  result TEXT,
  is_error INTEGER NOT NULL,
  approval_id TEXT,
  escalation_id TEXT,
  started_at INTEGER,
  finished_at INTEGER,
  PRIMARY KEY (run_id, step, idx)
) WITHOUT ROWID;

CREATE TABLE approvals (
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs (id),
  role TEXT NOT NULL,
  role_version TEXT NOT NULL,
  autonomy TEXT NOT NULL,
  status TEXT NOT NULL,
  call_keys TEXT NOT NULL,
  change_set_hash TEXT NOT NULL,
  calls TEXT NOT NULL,
  requested_at INTEGER NOT NULL,
  decided_at INTEGER,
  decided_by TEXT,
  note TEXT
);
CREATE INDEX approvals_status ON approvals (status, requested_at);
CREATE INDEX approvals_run ON approvals (run_id);

CREATE TABLE escalations (
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs (id),
  role TEXT NOT NULL,
  category TEXT NOT NULL,
  reason TEXT NOT NULL,
  missing TEXT,
  source TEXT NOT NULL,
  call_key TEXT,
  context TEXT NOT NULL,
  status TEXT NOT NULL,
  answer TEXT,
  answered_by TEXT,
  answered_at INTEGER,
  allow_call INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX escalations_status ON escalations (status, created_at);
CREATE INDEX escalations_run ON escalations (run_id);

CREATE TABLE audit_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  run_id TEXT,
  target TEXT,
  data TEXT NOT NULL
);
CREATE INDEX audit_run ON audit_events (run_id, id);

CREATE TABLE role_versions (
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  spec TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (name, version)
);
`,
  },
  {
    version: 2,
    name: 'queue and webhook signatures',
    sql: `
CREATE INDEX runs_queue ON runs (status, created_at) WHERE status IN ('queued', 'running');
CREATE TABLE webhook_signatures (signature TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE INDEX webhook_signatures_at ON webhook_signatures (at);
`,
  },
  {
    version: 3,
    name: 'retries, continuous agents and their inboxes',
    sql: `
ALTER TABLE runs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
ALTER TABLE runs ADD COLUMN not_before INTEGER;
CREATE TABLE agents (
  role TEXT PRIMARY KEY,
  owner TEXT,
  lease_until INTEGER,
  heartbeat_at INTEGER,
  state TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE inbox (
  -- Arrival order at the store: the order an agent handles its events in, whatever the senders' clocks.
  n INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  event TEXT NOT NULL,
  payload TEXT NOT NULL,
  idempotency_key TEXT UNIQUE,
  created_at INTEGER NOT NULL,
  handled_at INTEGER,
  run_id TEXT
);
CREATE INDEX inbox_pending ON inbox (role, n) WHERE handled_at IS NULL;
`,
  },
  {
    version: 4,
    name: 'claim index: active runs of a role in age order',
    // Without it, a claim reads every run the role ever had (the role index) and sorts them: claims got
    // slower as history grew. The partial index holds only queued and running rows.
    sql: `CREATE INDEX runs_claim ON runs (role, created_at, id) WHERE status IN ('queued', 'running');`,
  },
  {
    version: 5,
    name: 'event subscriptions of the roles workers serve',
    sql: `CREATE TABLE subscriptions (
  event TEXT NOT NULL,
  role TEXT NOT NULL,
  role_version TEXT NOT NULL,
  seen_at INTEGER NOT NULL,
  -- One row per version: during a rolling upgrade old and new workers both renew theirs, and emitters
  -- pick the newest version still served (not whichever renewed last).
  PRIMARY KEY (event, role, role_version)
);`,
  },
  {
    version: 6,
    name: 'run lease epochs (fencing tokens)',
    // Goes up by one at every acquisition of a run's lease; commits and renewals of a driver are fenced
    // by it, and tools get it with the idempotency key (docs/decisions/009-lease-fencing.md).
    sql: 'ALTER TABLE runs ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0;',
  },
  {
    version: 7,
    name: 'stats index: runs by role, version and creation time',
    // `nightshift stats` groups runs by (role, role_version) and filters by role, version and
    // created_at >= since: this index serves each of those filters and walks the groups in order.
    sql: 'CREATE INDEX runs_stats ON runs (role, role_version, created_at);',
  },
  {
    version: 8,
    name: 'hash-chained audit log',
    // Each run's entries link to the one before them (docs/decisions/019-audit-chain.md); audit_heads
    // holds each chain's newest entry, so deleting the newest entries shows too. Entries written before
    // this migration are the genesis: `after` chains them in id order, once, in this transaction.
    sql: `ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
CREATE TABLE audit_heads (
  chain TEXT PRIMARY KEY,
  last_id INTEGER NOT NULL,
  hash TEXT NOT NULL
);`,
    after: sealUnchainedAudit,
  },
  {
    version: 9,
    name: 'stats rollup: settled runs per hour, role and role version',
    // Filled by `nightshift stats`, never on commit (docs/decisions/020-stats-rollup.md). stats_rollup:
    // the additive figures (kind: run/failure/tool/escalation/escalated/approval, keyed by k1..k3), one
    // row per key, merged by addition. stats_rollup_values: each distribution's values of an hour, as
    // little-endian float64s. stats_rollup_pending: runs of rolled-up hours not settled when rolled up.
    // Rows of hours before days_until are compacted to one per day (`hour`: the day's first hour).
    sql: `CREATE TABLE stats_rollup (
  hour INTEGER NOT NULL,
  role TEXT NOT NULL,
  role_version TEXT NOT NULL,
  kind TEXT NOT NULL,
  k1 TEXT NOT NULL,
  k2 TEXT NOT NULL,
  k3 TEXT NOT NULL,
  count INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cached_input_tokens INTEGER NOT NULL,
  PRIMARY KEY (hour, role, role_version, kind, k1, k2, k3)
);
CREATE TABLE stats_rollup_values (
  hour INTEGER NOT NULL,
  role TEXT NOT NULL,
  role_version TEXT NOT NULL,
  name TEXT NOT NULL,
  vals BLOB NOT NULL
);
CREATE INDEX stats_rollup_values_hour ON stats_rollup_values (hour);
CREATE TABLE stats_rollup_pending (
  run_id TEXT PRIMARY KEY,
  hour INTEGER NOT NULL
);
CREATE TABLE stats_rollup_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  rolled_until INTEGER NOT NULL,
  days_until INTEGER NOT NULL
);`,
  },
  {
    version: 11,
    name: 'child runs: parent run, parent call, autonomy cap',
    // A delegation is a child run linked to its parent's call, capped at the parent's rung
    // (docs/decisions/023-delegation.md). The index serves `show`'s list of a run's children.
    sql: `ALTER TABLE runs ADD COLUMN parent_run_id TEXT;
ALTER TABLE runs ADD COLUMN parent_call_key TEXT;
ALTER TABLE runs ADD COLUMN autonomy_cap TEXT;
CREATE INDEX runs_parent ON runs (parent_run_id);`,
  },
  {
    version: 13,
    name: 'notification outbox and decision tiers',
    // Messages to people written in the same commit as the pause that asks them (docs/decisions/025).
    sql: `CREATE TABLE notifications (
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  decision_kind TEXT NOT NULL,
  decision_id TEXT NOT NULL,
  tier INTEGER NOT NULL,
  channel TEXT NOT NULL,
  destination TEXT NOT NULL,
  people TEXT NOT NULL,
  decision TEXT NOT NULL,
  status TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  sent_at INTEGER
);
CREATE INDEX notifications_due ON notifications (due_at, id) WHERE status = 'pending';
CREATE INDEX notifications_decision ON notifications (decision_id);
CREATE TABLE decision_tiers (
  decision_id TEXT PRIMARY KEY,
  decision_kind TEXT NOT NULL,
  run_id TEXT NOT NULL,
  role TEXT NOT NULL,
  tier INTEGER NOT NULL,
  due_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX decision_tiers_due ON decision_tiers (due_at) WHERE due_at IS NOT NULL;`,
  },
  {
    version: 14,
    name: 'access tokens, browser sessions, login links',
    // Who may use serve's doors (docs/decisions/030-access.md): only sha256 hashes of secrets are kept.
    sql: `CREATE TABLE access_tokens (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  scopes TEXT NOT NULL,
  label TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER
);
CREATE TABLE auth_sessions (
  hash TEXT PRIMARY KEY,
  token_id TEXT NOT NULL REFERENCES access_tokens (id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  ended_at INTEGER
);
CREATE INDEX auth_sessions_token ON auth_sessions (token_id);
CREATE TABLE login_links (
  hash TEXT PRIMARY KEY,
  token_id TEXT NOT NULL REFERENCES access_tokens (id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);`,
  },
  {
    version: 16,
    name: 'eval results',
    // One row per eval of a suite against a role version (src/evals/, docs/decisions/034-evals.md).
    sql: `CREATE TABLE eval_results (
  id TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  role_version TEXT NOT NULL,
  suite TEXT NOT NULL,
  suite_hash TEXT NOT NULL,
  passed INTEGER NOT NULL,
  pass_rate REAL NOT NULL,
  ci_low REAL NOT NULL,
  ci_high REAL NOT NULL,
  repeat_count INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  duration_ms INTEGER NOT NULL,
  cases TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX eval_results_role ON eval_results (role, suite, created_at DESC);`,
  },
  {
    version: 17,
    name: 'role promotions: the active version of each role and promotions waiting for a person',
    // One row per promotion or rollback (src/versions/); the done row with the highest seq is the role's
    // active version. UNIQUE (role, seq) backs the per-role serialisation the store does on writes.
    sql: `CREATE TABLE role_promotions (
  id TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  version TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  base_id TEXT,
  from_version TEXT,
  back_to TEXT,
  requested_by TEXT NOT NULL,
  requested_at INTEGER NOT NULL,
  evidence TEXT NOT NULL,
  widening TEXT NOT NULL,
  decided_by TEXT,
  decided_at INTEGER,
  note TEXT,
  seq INTEGER,
  UNIQUE (role, seq)
);
CREATE INDEX role_promotions_role ON role_promotions (role, requested_at);`,
  },
  {
    version: 18,
    name: 'improvement rounds',
    // One row per round of `nightshift improve` (src/improve/, docs/decisions/037-improvement-test.md).
    sql: `CREATE TABLE improvement_rounds (
  id TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  round INTEGER NOT NULL,
  base_version TEXT NOT NULL,
  candidate_version TEXT,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL,
  proposer TEXT NOT NULL,
  proposer_run_id TEXT,
  rationale TEXT,
  changes TEXT,
  active_eval_id TEXT,
  candidate_eval_id TEXT,
  comparison TEXT,
  promotion_id TEXT,
  cost_usd REAL NOT NULL,
  duration_ms INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX improvement_rounds_role ON improvement_rounds (role, created_at DESC);`,
  },
  {
    version: 19,
    name: 'fewer b-trees written per run',
    // Pages written per commit (docs/decisions/001-durable-loop.md, "Fewer pages per commit"): each b-tree a
    // commit touches is at least one WAL frame. runs_queue duplicated runs_status for the two statuses it
    // held and no query chose it (the planner takes runs_status, and the claim runs_claim), yet every run
    // wrote it twice (in when created, out when settled). runs_parent held a NULL entry for every
    // top-level run; its only lookup is `parent_run_id = ?`, which implies IS NOT NULL, so the partial
    // index serves it. audit_heads keyed by TEXT was a rowid table plus its primary-key index, two
    // b-trees per new chain (one per run); WITHOUT ROWID makes it one. Its rows keep their values.
    // runs_created and runs_role_created were declared DESC on created_at, so each new run went in at
    // the left edge of the b-tree (or of its role's range), where SQLite splits pages
    // without the right-edge fast path: ~2.8 frames per run for runs_created alone. Ascending, a new run
    // is appended at the right edge, and the listings' `ORDER BY created_at DESC` walks the index
    // backwards (the same plans: EXPLAIN QUERY PLAN in test/store/sqlite-migration-19.test.ts).
    sql: `DROP INDEX runs_queue;
DROP INDEX runs_created;
CREATE INDEX runs_created ON runs (created_at, id);
DROP INDEX runs_role_created;
CREATE INDEX runs_role_created ON runs (role, created_at);
DROP INDEX runs_parent;
CREATE INDEX runs_parent ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
CREATE TABLE audit_heads_v19 (
  chain TEXT PRIMARY KEY,
  last_id INTEGER NOT NULL,
  hash TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO audit_heads_v19 (chain, last_id, hash) SELECT chain, last_id, hash FROM audit_heads;
DROP TABLE audit_heads;
ALTER TABLE audit_heads_v19 RENAME TO audit_heads;`,
  },
  {
    version: 20,
    name: 'eval results record their split',
    // `eval --split train|holdout` runs part of a suite; its result is kept but must not become a baseline
    // or the eval autonomy reads (docs/decisions/034-evals.md, 2026-12-01). NULL: the whole suite ran;
    // results stored before this migration read as whole-suite ones (nothing recorded which they were).
    sql: 'ALTER TABLE eval_results ADD COLUMN split TEXT',
  },
];
