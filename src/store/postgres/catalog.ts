// Postgres statements not shared with SQLite (../sql/ holds the shared ones): role versions, records by id,
// the cost sum (the JSON operators differ) and the subscriptions upsert (one statement for every record).
import { ROLE_VERSION_SEEN, roleVersionSeenData } from '../../audit/actions.js';
import type { ApprovalRecord, EscalationRecord, RoleVersionRecord, SubscriptionRecord } from '../types.js';
import type { Database } from './database.js';
import { jsonText } from './encode.js';
import { toApproval, toEscalation, toRoleVersion } from './rows.js';

export async function putRoleVersion(db: Database, r: RoleVersionRecord): Promise<void> {
  await db.q(
    'saving a role version',
    // The first time a version is seen, the audit log says so (role.version_seen), in the same statement.
    `WITH v AS (
       INSERT INTO role_versions (name, version, spec, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING
       RETURNING name
     )
     INSERT INTO audit_events (at, actor, action, run_id, target, data)
       SELECT $4, 'system', '${ROLE_VERSION_SEEN}', NULL, name, $5::json FROM v`,
    [r.name, r.version, jsonText(r.spec), r.createdAt, JSON.stringify(roleVersionSeenData(r.version))],
  );
}

export async function getRoleVersion(
  db: Database,
  name: string,
  version: string,
): Promise<RoleVersionRecord | undefined> {
  const [r] = await db.q(
    'reading a role version',
    'SELECT * FROM role_versions WHERE name = $1 AND version = $2',
    [name, version],
  );
  return r ? toRoleVersion(r) : undefined;
}

export async function putSubscriptions(db: Database, records: readonly SubscriptionRecord[]): Promise<void> {
  if (records.length === 0) return;
  // One statement for all of them (SQLite runs one upsert per record: no round trips there).
  await db.q(
    'recording event subscriptions',
    `INSERT INTO subscriptions (event, role, role_version, seen_at)
     SELECT * FROM json_to_recordset($1::json) AS x(event TEXT, role TEXT, role_version TEXT, seen_at BIGINT)
     ON CONFLICT (event, role, role_version) DO UPDATE SET seen_at = excluded.seen_at`,
    [
      JSON.stringify(
        records.map((r) => ({
          event: r.event,
          role: r.role,
          role_version: r.roleVersion,
          seen_at: r.seenAt,
        })),
      ),
    ],
  );
}

export async function getApproval(db: Database, id: string): Promise<ApprovalRecord | undefined> {
  const [r] = await db.q('reading an approval', 'SELECT * FROM approvals WHERE id = $1', [id]);
  return r ? toApproval(r) : undefined;
}

export async function getEscalation(db: Database, id: string): Promise<EscalationRecord | undefined> {
  const [r] = await db.q('reading an escalation', 'SELECT * FROM escalations WHERE id = $1', [id]);
  return r ? toEscalation(r) : undefined;
}

export async function roleCostSince(db: Database, role: string, since: number): Promise<number> {
  // A run with a step since `since` was updated since then: `updated_at` narrows the runs first.
  const [r] = await db.q(
    `summing the model cost of role ${role}`,
    `SELECT COALESCE(SUM((s.data->'usage'->>'costUsd')::float8), 0) AS cost FROM runs r
     JOIN steps s ON s.run_id = r.id
     WHERE r.role = $1 AND r.updated_at >= $2 AND s.kind = 'model_turn' AND s.at >= $2`,
    [role, since],
  );
  return Number(r?.cost ?? 0);
}
