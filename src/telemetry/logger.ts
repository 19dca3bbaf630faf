// The runtime's log (pino JSON lines), with secrets kept out of it. Three nets, because a secret reaches a
// log line by three roads: a field named for what it holds (an Authorization or Cookie header, an API key)
// is censored by path; a bearer token, session or login link anywhere in a line has a recognisable
// prefix (auth/secret.ts); and a configured secret's value (a role's secret, a webhook or notification
// signing secret, a provider API key from the environment) may be quoted inside an error message, so every
// line written is scrubbed of those values.
import { type DestinationStream, type Logger, pino } from 'pino';
import { redactSecrets } from '../auth/secret.js';
import { terminalSafeJsonLine } from '../bidi-controls.js';
import { encodedForms } from '../secret-forms.js';
import { caseFoldedRedaction } from './case-folded-redaction.js';
import { installRedactionFastPath } from './redaction-fast-path.js';

/**
 * Fields censored wherever they sit (one level of nesting, and request/response headers), in any case:
 * pino matches these spellings and case-folded-redaction.ts censors the others before pino sees them.
 */
export const REDACTED_PATHS = [
  'authorization',
  'cookie',
  'apiKey',
  'password',
  'token',
  '*.authorization',
  '*.cookie',
  '*["set-cookie"]',
  '*.apiKey',
  '*.password',
  '*.token',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  '*.headers["x-api-key"]',
];

export const CENSOR = '[redacted]';
const foldSecretKeys = caseFoldedRedaction(REDACTED_PATHS, CENSOR);
/** Shorter values are not scrubbed from strings (they would eat ordinary words); fields are still censored. */
const MIN_VALUE_LENGTH = 6;

/** Environment variables whose values are treated as secrets by their name alone. */
const SECRET_ENV_NAME = /(API_?KEY|SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE_KEY|_KEY$)/i;

export interface LoggerOptions {
  name: string;
  /** Secret values to scrub from every logged string (roles' secrets, signing secrets); a LogSecrets takes more later. */
  secrets?: Iterable<string | undefined> | LogSecrets;
  /** Where lines go (default stdout). */
  destination?: DestinationStream;
  level?: string;
}

/** The values of environment variables named like secrets (FOO_API_KEY, BAR_SECRET, …). */
export function secretLookingEnvValues(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([name, value]) => SECRET_ENV_NAME.test(name) && value !== undefined)
    .map(([, value]) => value as string);
}

/**
 * The secret values a logger scrubs from each line, to which more can be added while it runs (serve adds
 * the secrets of a role version promoted after it started). Values are looked for as they appear inside a
 * JSON string (a quote or backslash in a secret is escaped there), and so are their encoded forms
 * (base64, hex, percent-encoding: secret-forms.ts), computed once when the value is added.
 */
export class LogSecrets {
  private readonly known = new Set<string>();
  private sorted: string[] = [];

  constructor(values: Iterable<string | undefined> = []) {
    this.add(values);
  }

  add(values: Iterable<string | undefined>): void {
    const before = this.known.size;
    for (const v of values)
      if (typeof v === 'string' && v.length >= MIN_VALUE_LENGTH) {
        this.known.add(JSON.stringify(v).slice(1, -1));
        // Base64, hex and percent-encoded forms have no character JSON escapes: looked for as they are.
        for (const form of encodedForms(v)) this.known.add(form.text);
      }
    // Longest first, so a secret that contains another is replaced whole.
    if (this.known.size !== before) this.sorted = [...this.known].sort((a, b) => b.length - a.length);
  }

  /** The line with each secret value and each nightshift token replaced. */
  scrub(line: string): string {
    let out = redactSecrets(line);
    for (const v of this.sorted) if (out.includes(v)) out = out.split(v).join('[secret]');
    return out;
  }
}

/** A pino logger that censors secret fields and scrubs secret values and tokens from every string. */
export function createLogger(o: LoggerOptions): Logger {
  const secrets = o.secrets instanceof LogSecrets ? o.secrets : new LogSecrets(o.secrets);
  const destination = o.destination ?? pino.destination(1);
  // Scrubbed as whole lines, on their way out: the one place every road meets (the message, fields at any
  // depth, an error's message and stack, a child logger's bindings, which pino serializes ahead of time).
  const scrubbed: DestinationStream = {
    write: (line: string) => destination.write(terminalSafeJsonLine(secrets.scrub(line))),
  };
  const logger = pino(
    {
      name: o.name,
      ...(o.level ? { level: o.level } : {}),
      redact: { paths: REDACTED_PATHS, censor: CENSOR },
      // Before redaction and the fast path: both match keys in their exact case only.
      formatters: { log: foldSecretKeys },
    },
    scrubbed,
  );
  // A child's bindings are serialized when it is made, without the log formatter: folded here. Children
  // inherit this `child` through their prototype (pino makes each with Object.create of its parent).
  const child = logger.child;
  logger.child = function (this: Logger, bindings, options) {
    return child.call(this, foldSecretKeys(bindings), options);
  } as Logger['child'];
  // The same bytes as pino's redaction, without its per-field clone where nothing could be censored.
  installRedactionFastPath(logger, REDACTED_PATHS);
  return logger;
}
