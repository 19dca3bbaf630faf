// The role key `escalate:`: who is asked, through which channels, and how long each tier has before the
// matter passes to the next. The last tier's silence leaves the run paused (and logged): never allowed.
//
//   escalate:
//     tiers:
//       - { to: [alice, ops], via: [slack, email, webhook], timeout: 1h }
//       - { to: [bob] }
import { z } from 'zod';

export const CHANNELS = ['slack', 'email', 'webhook'] as const;
export type ChannelName = (typeof CHANNELS)[number];

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `30s`, `15m`, `1h`, `2d` → milliseconds; undefined for anything else. */
export function parseTimeout(text: string): number | undefined {
  const m = /^(\d{1,6})(s|m|h|d)$/.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : undefined;
}

export const EscalateTier = z.strictObject({
  /** People or group names (from nightshift.config.yaml). */
  to: z.array(z.string().min(1)).min(1),
  /** Which of each person's channels to use (default: every channel the person has). */
  via: z.array(z.enum(CHANNELS)).min(1).optional(),
  /** How long this tier has before the matter passes to the next (`30m`, `1h`, `2d`). */
  timeout: z
    .string()
    .refine((t) => parseTimeout(t) !== undefined, {
      // Said as every other field's problem is ("expected …, got …"), so the reader sees what was wrong.
      error: (issue) => `expected a duration such as 30s, 15m, 1h or 2d, got '${String(issue.input)}'`,
    })
    .optional(),
});
export type EscalateTier = z.infer<typeof EscalateTier>;

export const EscalatePath = z
  .strictObject({ tiers: z.array(EscalateTier).min(1).max(10) })
  .superRefine((path, ctx) => {
    path.tiers.forEach((t, i) => {
      if (i < path.tiers.length - 1 && t.timeout === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['tiers', i, 'timeout'],
          message: 'every tier but the last needs a timeout (when it passes, the next tier is asked)',
        });
    });
  });
export type EscalatePath = z.infer<typeof EscalatePath>;
