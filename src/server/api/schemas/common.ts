// Shapes shared by the API's operations: the error body, page sizes, time filters and path parameters.
import { z } from 'zod';
import { rangeText, shownRaw } from '../../../config/whole-number.js';
import { parseSince, SINCE_FORMATS } from '../../../stats/since.js';

export const ErrorBody = z
  .object({ error: z.object({ code: z.string(), message: z.string() }) })
  .meta({ id: 'Error', description: 'Every failure: a stable code and a message saying what to do.' });

/**
 * A whole number in the query: digits only, as every integer flag of the CLI (config/whole-number.ts).
 * Why not `z.coerce.number()`: it read `limit=` as 0 (refused as "too small", though nothing was given)
 * and took ` 5`, `1e2` and `0x10` as numbers, where the docs promise a whole number.
 */
export const wholeQuery = (min: number, max: number) =>
  z
    .string()
    .transform((raw, ctx) => {
      // More digits than max has cannot be in range; the bound keeps `Number` from reading a huge string
      // (16 digits pass every safe integer when there is no upper bound).
      const digits = Number.isFinite(max) ? String(max).length + 1 : 16;
      const ok = /^\d+$/.test(raw) && raw.length <= digits;
      const n = ok ? Number(raw) : Number.NaN;
      if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
      ctx.addIssue({
        code: 'custom',
        message: `must be a whole number ${rangeText(min, max)} (digits only), got '${shownRaw(raw)}'`,
      });
      return z.NEVER;
    })
    // What the OpenAPI document shows: the wire value is text, but what it must hold is this integer
    // (zod leaves a pipe's default out of the input schema, so the page sizes say theirs in words).
    .meta({ type: 'integer', minimum: min, ...(Number.isFinite(max) ? { maximum: max } : {}) });

/** `?limit=`: a page size from 1 to `max`. */
export const limit = (fallback: number, max: number) =>
  wholeQuery(1, max).default(fallback).describe(`Page size, 1 to ${max} (default ${fallback})`);

export const cursor = z.string().min(1).optional().describe("Pass back the previous page's `next`");

/** A time as a duration back from now (30m, 24h, 7d) or an ISO date or date-time: epoch ms. */
export const when = z
  .string()
  .min(1)
  .transform((text, ctx) => {
    try {
      return parseSince(text, Date.now());
    } catch {
      ctx.addIssue({ code: 'custom', message: `give ${SINCE_FORMATS}` });
      return z.NEVER;
    }
  })
  .describe(SINCE_FORMATS);

/** An id in a path: bounded, so a junk id is a 404 after one indexed read, never a scan. */
export const id = z.string().min(1).max(200);

export const Next = z.string().nullable().describe('Cursor of the next page; null on the last');
