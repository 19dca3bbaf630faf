// Writing a paused matter's notifications into the batch that pauses the run (the outbox): the tier's
// people, through the channels the tier names, one row per destination, plus the matter's tier row (when
// it times out). Written in the same commit as the pause, so a crash loses none; each row's id is derived
// from the matter, the tier and the destination, so writing the same rows again adds nothing.
import { hashJson } from '../canonical-json.js';
import type { BatchBuilder } from '../engine/state.js';
import type { PeopleDirectory, PersonSpec } from '../people/config.js';
import { expandPeople } from '../people/may-decide.js';
import { CHANNELS, type ChannelName, type EscalatePath, parseTimeout } from '../roles/escalate-path.js';
import type { DecisionTierRecord, OutboxRecord } from '../store/types.js';
import type { PendingDecision } from './types.js';

/** Where a role's matters go: its `escalate:` tiers and the configured people they name. */
export interface HumanPath {
  escalate: EscalatePath | undefined;
  people: PeopleDirectory | undefined;
}

export interface TierNotifications {
  notifications: OutboxRecord[];
  tier: DecisionTierRecord;
  /** Names of the people this tier asks. */
  people: string[];
}

function address(p: PersonSpec, channel: ChannelName): string | undefined {
  if (channel === 'slack') return p.slack;
  if (channel === 'email') return p.email;
  return p.webhook;
}

/** The rows for tier `tierIndex` of the path (undefined when the role names no tiers or no such tier). */
export function tierNotifications(
  pending: PendingDecision,
  tierIndex: number,
  path: HumanPath,
  at: number,
): TierNotifications | undefined {
  const tier = path.escalate?.tiers[tierIndex];
  if (!tier) return undefined;
  const people = expandPeople(path.people, tier.to);
  // One message per destination: people sharing a webhook URL get one POST naming them all.
  const byDestination = new Map<string, { channel: ChannelName; to: string; people: string[] }>();
  for (const person of people) {
    for (const channel of tier.via ?? CHANNELS) {
      const to = address(person, channel);
      if (to === undefined) continue;
      const key = `${channel} ${to}`;
      const entry = byDestination.get(key) ?? { channel, to, people: [] };
      entry.people.push(person.name);
      byDestination.set(key, entry);
    }
  }
  const notifications = [...byDestination.values()].map(
    (d): OutboxRecord => ({
      id: `ntf_${hashJson([pending.id, tierIndex, d.channel, d.to]).slice(0, 24)}`,
      runId: pending.runId,
      decisionKind: pending.kind,
      decisionId: pending.id,
      tier: tierIndex,
      channel: d.channel,
      to: d.to,
      people: d.people,
      decision: pending,
      status: 'pending',
      attempt: 0,
      dueAt: at,
      leaseOwner: null,
      leaseUntil: null,
      lastError: null,
      createdAt: at,
      sentAt: null,
    }),
  );
  const timeout = tier.timeout === undefined ? undefined : parseTimeout(tier.timeout);
  return {
    notifications,
    tier: {
      decisionId: pending.id,
      decisionKind: pending.kind,
      runId: pending.runId,
      role: pending.role,
      tier: tierIndex,
      dueAt: timeout === undefined ? null : at + timeout,
      updatedAt: at,
    },
    people: people.map((p) => p.name),
  };
}

/**
 * Adds tier `tierIndex`'s notifications (and the matter's tier row) to `b`, the batch that pauses the run
 * (tier 0) or passes the matter on (`fromTier`: the tier row moves only from exactly that one).
 */
export function enqueueHumanNotifications(
  b: BatchBuilder,
  pending: PendingDecision,
  tierIndex: number,
  path: HumanPath,
  fromTier?: number,
): TierNotifications | undefined {
  const rows = tierNotifications(pending, tierIndex, path, b.at);
  if (!rows) return undefined;
  for (const n of rows.notifications) b.notification(n);
  b.tier(rows.tier, fromTier);
  return rows;
}
