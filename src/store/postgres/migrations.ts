// Numbered, forward-only migrations for Postgres: the same tables as the SQLite store, in Postgres types
// (JSON — not JSONB, which rejects \u0000 and reorders keys — for structured values, BIGINT epoch milliseconds for times).
import { AUDIT_APPEND_SQL, AUDIT_CHAIN_SQL } from './audit-chain-migration.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
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
  input JSON NOT NULL,
  output JSON,
  error JSON,
  seq INTEGER NOT NULL,
  turns INTEGER NOT NULL,
  usage JSON NOT NULL,
  active_ms BIGINT NOT NULL,
  grant_json JSON NOT NULL,
  idempotency_key TEXT UNIQUE,
  lease_owner TEXT,
  lease_until BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE INDEX runs_created ON runs (created_at DESC, id DESC);
CREATE INDEX runs_role_created ON runs (role, created_at DESC);
CREATE INDEX runs_status ON runs (status, created_at DESC);

CREATE TABLE steps (
  run_id TEXT NOT NULL REFERENCES runs (id),
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  at BIGINT NOT NULL,
  data JSON NOT NULL,
  PRIMARY KEY (run_id, seq)
);

CREATE TABLE tool_calls (
  run_id TEXT NOT NULL REFERENCES runs (id),
  step INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  key TEXT NOT NULL,
  call_id TEXT NOT NULL,
  tool TEXT NOT NULL,
  args JSON NOT NULL,
  args_hash TEXT NOT NULL,
  decision TEXT NOT NULL,
  reason TEXT NOT NULL,
  status TEXT NOT NULL,
  result JSON,
  is_error BOOLEAN NOT NULL,
  approval_id TEXT,
  escalation_id TEXT,
  started_at BIGINT,
  finished_at BIGINT,
  PRIMARY KEY (run_id, step, idx)
);

CREATE TABLE approvals (
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs (id),
  role TEXT NOT NULL,
  role_version TEXT NOT NULL,
  autonomy TEXT NOT NULL,
  status TEXT NOT NULL,
  call_keys JSON NOT NULL,
  change_set_hash TEXT NOT NULL,
  calls JSON NOT NULL,
  requested_at BIGINT NOT NULL,
  decided_at BIGINT,
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
  context JSON NOT NULL,
  status TEXT NOT NULL,
  answer TEXT,
  answered_by TEXT,
  answered_at BIGINT,
  allow_call BOOLEAN NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX escalations_status ON escalations (status, created_at);
CREATE INDEX escalations_run ON escalations (run_id);

CREATE TABLE audit_events (
  id BIGSERIAL PRIMARY KEY,
  at BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  run_id TEXT,
  target TEXT,
  data JSON NOT NULL
);
CREATE INDEX audit_run ON audit_events (run_id, id);

CREATE TABLE role_versions (
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  spec JSON NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (name, version)
);
`,
  },
  {
    version: 2,
    name: 'queue and webhook signatures',
    sql: `
CREATE INDEX runs_queue ON runs (status, created_at) WHERE status IN ('queued', 'running');
CREATE TABLE webhook_signatures (signature TEXT PRIMARY KEY, at BIGINT NOT NULL);
CREATE INDEX webhook_signatures_at ON webhook_signatures (at);
`,
  },
  {
    version: 3,
    name: 'retries, continuous agents and their inboxes',
    sql: `
ALTER TABLE runs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
ALTER TABLE runs ADD COLUMN not_before BIGINT;
CREATE TABLE agents (
  role TEXT PRIMARY KEY,
  owner TEXT,
  lease_until BIGINT,
  heartbeat_at BIGINT,
  state JSON NOT NULL,
  started_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE inbox (
  id TEXT PRIMARY KEY,
  -- Arrival order at the store: the order an agent handles its events in, whatever the senders' clocks.
  n BIGSERIAL,
  role TEXT NOT NULL,
  event TEXT NOT NULL,
  payload JSON NOT NULL,
  idempotency_key TEXT UNIQUE,
  created_at BIGINT NOT NULL,
  handled_at BIGINT,
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
    // (created_at, id) rather than (role, ...): claims ask for role = ANY(...) in age order, which only an
    // age-ordered index can serve without a sort.
    sql: `CREATE INDEX runs_claim ON runs (created_at, id) WHERE status IN ('queued', 'running');`,
  },
  {
    version: 5,
    name: 'runs: room on each page for in-place (HOT) updates',
    // A run's row is updated at every commit (seq, usage, active time) while none of its indexed columns
    // change. Postgres can then update it in place (a HOT update: no new entry in any of the table's
    // seven indexes), but only if the row's page has free space; at the default fillfactor of 100 pages
    // are full, so every commit wrote seven index entries and left them dead for vacuum, and claims
    // (which walk the queue index in age order) stepped over them. Finished rows waste the reserved room.
    sql: `ALTER TABLE runs SET (fillfactor = 70);`,
  },
  {
    version: 6,
    name: 'event subscriptions of the roles workers serve',
    sql: `CREATE TABLE subscriptions (
  event TEXT NOT NULL,
  role TEXT NOT NULL,
  role_version TEXT NOT NULL,
  seen_at BIGINT NOT NULL,
  -- One row per version: during a rolling upgrade old and new workers both renew theirs, and emitters
  -- pick the newest version still served (not whichever renewed last).
  PRIMARY KEY (event, role, role_version)
);`,
  },
  {
    version: 7,
    name: 'run lease epochs (fencing tokens)',
    // Goes up by one at every acquisition of a run's lease; commits and renewals of a driver are fenced
    // by it, and tools get it with the idempotency key (docs/decisions/009-lease-fencing.md).
    sql: 'ALTER TABLE runs ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0;',
  },
  {
    version: 8,
    name: 'stats index: runs by role, version and creation time',
    // `nightshift stats` groups runs by (role, role_version) and filters by role, version and
    // created_at >= since: this index serves each of those filters and walks the groups in order.
    sql: 'CREATE INDEX runs_stats ON runs (role, role_version, created_at);',
  },
  {
    version: 9,
    name: 'hash-chained audit log',
    sql: AUDIT_CHAIN_SQL,
  },
  {
    version: 10,
    name: 'stats rollup: settled runs per hour, role and role version',
    // Filled by `nightshift stats`, never on commit (docs/decisions/020-stats-rollup.md). stats_rollup:
    // the additive figures (kind: run/failure/tool/escalation/escalated/approval, keyed by k1..k3), one
    // row per key, merged by addition. stats_rollup_values: each distribution's values of an hour, as
    // little-endian float64s. stats_rollup_pending: runs of rolled-up hours not settled when rolled up.
    // Rows of hours before days_until are compacted to one per day (`hour`: the day's first hour).
    sql: `CREATE TABLE stats_rollup (
  hour BIGINT NOT NULL,
  role TEXT NOT NULL,
  role_version TEXT NOT NULL,
  kind TEXT NOT NULL,
  k1 TEXT NOT NULL,
  k2 TEXT NOT NULL,
  k3 TEXT NOT NULL,
  count BIGINT NOT NULL,
  cost_usd DOUBLE PRECISION NOT NULL,
  input_tokens BIGINT NOT NULL,
  output_tokens BIGINT NOT NULL,
  cached_input_tokens BIGINT NOT NULL,
  PRIMARY KEY (hour, role, role_version, kind, k1, k2, k3)
);
CREATE TABLE stats_rollup_values (
  hour BIGINT NOT NULL,
  role TEXT NOT NULL,
  role_version TEXT NOT NULL,
  name TEXT NOT NULL,
  vals BYTEA NOT NULL
);
CREATE INDEX stats_rollup_values_hour ON stats_rollup_values (hour);
CREATE TABLE stats_rollup_pending (
  run_id TEXT PRIMARY KEY,
  hour BIGINT NOT NULL
);
CREATE TABLE stats_rollup_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  rolled_until BIGINT NOT NULL,
  days_until BIGINT NOT NULL
);`,
  },
  {
    version: 11,
    name: 'cheaper audit chain append',
    sql: AUDIT_APPEND_SQL,
  },
  {
    version: 12,
    name: 'child runs: parent run, parent call, autonomy cap',
    // A delegation is a child run linked to its parent's call, capped at the parent's rung
    // (docs/decisions/023-delegation.md). The index serves `show`'s list of a run's children.
    sql: `ALTER TABLE runs ADD COLUMN parent_run_id TEXT;
ALTER TABLE runs ADD COLUMN parent_call_key TEXT;
ALTER TABLE runs ADD COLUMN autonomy_cap TEXT;
CREATE INDEX runs_parent ON runs (parent_run_id);`,
  },
  {
    version: 14,
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
  people JSON NOT NULL,
  decision JSON NOT NULL,
  status TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  due_at BIGINT NOT NULL,
  lease_owner TEXT,
  lease_until BIGINT,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  sent_at BIGINT
);
CREATE INDEX notifications_due ON notifications (due_at, id) WHERE status = 'pending';
CREATE INDEX notifications_decision ON notifications (decision_id);
CREATE TABLE decision_tiers (
  decision_id TEXT PRIMARY KEY,
  decision_kind TEXT NOT NULL,
  run_id TEXT NOT NULL,
  role TEXT NOT NULL,
  tier INTEGER NOT NULL,
  due_at BIGINT,
  updated_at BIGINT NOT NULL
);
CREATE INDEX decision_tiers_due ON decision_tiers (due_at) WHERE due_at IS NOT NULL;`,
  },
  {
    version: 15,
    name: 'access tokens, browser sessions, login links',
    // Who may use serve's doors (docs/decisions/030-access.md): only sha256 hashes of secrets are kept.
    sql: `CREATE TABLE access_tokens (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  scopes JSON NOT NULL,
  label TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  revoked_at BIGINT
);
CREATE TABLE auth_sessions (
  hash TEXT PRIMARY KEY,
  token_id TEXT NOT NULL REFERENCES access_tokens (id),
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  ended_at BIGINT
);
CREATE INDEX auth_sessions_token ON auth_sessions (token_id);
CREATE TABLE login_links (
  hash TEXT PRIMARY KEY,
  token_id TEXT NOT NULL REFERENCES access_tokens (id),
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT
);`,
  },
  {
    version: 17,
    name: 'eval results',
    // One row per eval of a suite against a role version (src/evals/, docs/decisions/034-evals.md).
    sql: `CREATE TABLE eval_results (
  id TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  role_version TEXT NOT NULL,
  suite TEXT NOT NULL,
  suite_hash TEXT NOT NULL,
  passed BOOLEAN NOT NULL,
  pass_rate DOUBLE PRECISION NOT NULL,
  ci_low DOUBLE PRECISION NOT NULL,
  ci_high DOUBLE PRECISION NOT NULL,
  repeat_count INTEGER NOT NULL,
  cost_usd DOUBLE PRECISION NOT NULL,
  duration_ms BIGINT NOT NULL,
  cases JSON NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX eval_results_role ON eval_results (role, suite, created_at DESC);`,
  },
  {
    version: 18,
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
  requested_at BIGINT NOT NULL,
  evidence JSON NOT NULL,
  widening JSON NOT NULL,
  decided_by TEXT,
  decided_at BIGINT,
  note TEXT,
  seq INTEGER,
  UNIQUE (role, seq)
);
CREATE INDEX role_promotions_role ON role_promotions (role, requested_at);`,
  },
  {
    version: 19,
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
  changes JSON,
  active_eval_id TEXT,
  candidate_eval_id TEXT,
  comparison JSON,
  promotion_id TEXT,
  cost_usd DOUBLE PRECISION NOT NULL,
  duration_ms BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX improvement_rounds_role ON improvement_rounds (role, created_at DESC);`,
  },
  {
    version: 20,
    name: 'eval results record their split',
    // `eval --split train|holdout` runs part of a suite; its result is kept but must not become a baseline
    // or the eval autonomy reads (docs/decisions/034-evals.md, 2026-12-01). NULL: the whole suite ran;
    // results stored before this migration read as whole-suite ones (nothing recorded which they were).
    sql: 'ALTER TABLE eval_results ADD COLUMN split TEXT',
  },
  {
    version: 21,
    name: 'fewer index entries written per run',
    // A run's status changes twice (queued -> running -> settled) and each change is a non-HOT update: it
    // writes a new entry in every index of runs whose predicate the row meets (bench/README.md, 2026-12-02).
    // runs_queue duplicated runs_claim's predicate and no query chose it over runs_claim or runs_status
    // (SQLite dropped it in its migration 19), yet every run wrote it twice. runs_parent held a NULL
    // entry for every top-level run, three per run; its only lookup is `parent_run_id = $n`, which
    // implies IS NOT NULL, so the partial index serves it. runs_created and runs_role_created were
    // declared DESC on created_at, so each new entry went in at the left edge of the b-tree (or of its
    // role's range), where Postgres has no fast path and splits pages in half; ascending, a new run is
    // appended at the right edge (the rightmost-leaf fast path, pages split full), and the listings'
    // `ORDER BY created_at DESC, id DESC` walks the index backwards: the same rows in the same order.
    sql: `DROP INDEX runs_queue;
DROP INDEX runs_created;
CREATE INDEX runs_created ON runs (created_at, id);
DROP INDEX runs_role_created;
CREATE INDEX runs_role_created ON runs (role, created_at);
DROP INDEX runs_parent;
CREATE INDEX runs_parent ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;`,
  },
  {
    version: 22,
    name: 'tool_calls: room on each page for in-place (HOT) updates',
    // A tool call's row is written when the call is decided and written again (status, result, finish
    // time) when it returns, a commit or two later; no indexed column changes, so Postgres can update it
    // in place (HOT: no new primary-key entry, no dead entry left for vacuum), but only if the row's page
    // still has room. At fillfactor 100 the page has filled with the run's later steps and calls by then:
    // a third of the updates in a pg4 burst were not HOT (bench/README.md, 2026-12-03, "perfpg12"). As
    // migration 5 did for runs. Existing pages keep their fill; pages filled from now on leave the room.
    sql: 'ALTER TABLE tool_calls SET (fillfactor = 70);',
  },
  {
    version: 23,
    name: 'claims walk runs_claim in age order',
    // The claim's candidates: the oldest claimable runs of the roles, none the calling process drives
    // (RunQueue.claimNextRuns). Binds: roles, now, how many, the driven ids. runs_claim (migration 4) is
    // ordered for exactly this: walked from its oldest entry, a claim stops after the rows it takes. The
    // planner chose otherwise: it read every entry of runs_claim into a bitmap and sorted all the live runs
    // to keep the oldest few, so a claim's cost grew with the backlog (bench/claim-backlog.ts: 0.85-1.5 ms
    // per claim with 2,000 queued, 12.8-13.7 ms with 20,000; in a 2,800-run pg4 burst, 1,651 index entries
    // read per claim). It did so because it expects a handful of rows: its statistics trail a queue that fills in
    // seconds (a new schema has none), and it cannot tell how many rows the filters let through. So the
    // statement sits in a function whose settings leave it one plan, the ordered index scan: no bitmap, no
    // sort (0.17-0.33 ms per claim at any backlog). PL/pgSQL keeps the statement's plan per connection, as
    // for a prepared statement; a SQL function with settings is never inlined and plans at every call. An
    // index scan also marks the entries of finished runs dead as it passes them, which a bitmap never does,
    // so they no longer stand in every later claim's way until vacuum.
    //
    // The role is tested as `(role || '')`, the same test (`role` is NOT NULL) in a form no index matches:
    // on a schema without statistics the planner combined runs_role_created, every run the role ever had,
    // with runs_claim (2026-12-04). A leased run is skipped while its lease holds; a child is left to its
    // parent's driver (claim-pick.ts PARENT_NOT_DRIVING, written out: a migration's text never changes).
    // SKIP LOCKED: concurrent claims each take different runs instead of queueing on the same rows.
    sql: `CREATE FUNCTION claim_candidates(TEXT[], BIGINT, INT, TEXT[]) RETURNS TABLE (run_id TEXT, run_role TEXT)
  LANGUAGE plpgsql VOLATILE ROWS 16
  SET enable_bitmapscan = off SET enable_sort = off SET search_path FROM CURRENT
AS $f$
BEGIN
  RETURN QUERY SELECT id, role FROM runs
    WHERE (role || '') = ANY($1) AND status IN ('queued', 'running') AND NOT (id = ANY($4))
      AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until < $2)
      AND (not_before IS NULL OR not_before <= $2)
      AND (parent_run_id IS NULL OR NOT EXISTS (SELECT 1 FROM runs AS parent
        WHERE parent.id = runs.parent_run_id AND parent.status IN ('queued', 'running')))
    ORDER BY created_at, id LIMIT $3 FOR UPDATE SKIP LOCKED;
END
$f$;`,
  },
];
