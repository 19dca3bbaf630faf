// Typed errors with stable codes. The CLI maps codes to exit codes in one place (cli/exit-codes.ts);
// library users switch on `code`, never on message text.
//
// Recognise an error with `NightshiftError.isInstance(err)` (or `isNightshiftError`), not `instanceof`: a
// tool module loaded through tsx, or a second copy of nightshift in node_modules, carries its own copy of
// these classes, and `instanceof` says no to an error thrown by the other copy. The check reads a marker
// stored under `Symbol.for(...)`, which is the same symbol in every copy (the AI SDK and Temporal do the same).

export type ErrorCode =
  | 'ROLE_INVALID'
  | 'ROLE_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'INPUT_INVALID'
  | 'USAGE'
  | 'MODEL_CONFIG'
  | 'MODEL_ERROR'
  /**
   * A provider's answer passed `models.maxResponseBytes` (default 32 MiB): streamed without end or a giant
   * body. Not retried; the run fails.
   */
  | 'MODEL_RESPONSE_TOO_LARGE'
  | 'EXECUTOR_UNAVAILABLE'
  | 'EXECUTOR_FAILED'
  | 'SCRIPT_EXHAUSTED'
  | 'TOOL_NOT_FOUND'
  | 'TOOL_MODULE_INVALID'
  /** A tool call's arguments failed the tool's input schema. */
  | 'TOOL_ARGS_INVALID'
  /**
   * A tool call that cannot be done as asked: the file it names does not exist or is a folder, the text to
   * replace is not there, a size limit would be passed. Sent again unchanged, it fails the same way.
   */
  | 'TOOL_CALL_INVALID'
  /**
   * A tool ran and failed: what it called refused or broke (an HTTP error, a mail server, Slack, an MCP
   * server), or a custom tool threw an error without a code. Trying again later may work.
   */
  | 'TOOL_FAILED'
  /** A tool's own time limit ran out (`limits.fetchSeconds`, fs.search's regex limit). */
  | 'TOOL_TIMEOUT'
  /** A tool returned something that is not JSON, so it cannot be recorded. */
  | 'TOOL_RESULT_INVALID'
  | 'SCOPE_VIOLATION'
  /**
   * A run's role version declares a secret that is not set in the worker process that took it, and the
   * role as that process loaded it does not declare it (a promoted version added it after the process
   * started): the run fails rather than run without it. Set it and restart (or put it in the secrets file).
   */
  | 'SECRET_NOT_SET'
  /** The command sandbox cannot be built (shell.exec is refused). */
  | 'SANDBOX_UNAVAILABLE'
  /**
   * Reserved, raised nowhere: a denied call is a decision the model is told of (`{denied: true, reason}`),
   * and no public path runs a role's tool outside the engine (the library and the MCP server start runs;
   * they do not invoke tools), so there is no caller to throw it to.
   */
  | 'POLICY_DENIED'
  | 'BUDGET_EXCEEDED'
  | 'OUTPUT_INVALID'
  /** The model's final answer was cut off by its output token limit: not an answer to record as the output. */
  | 'OUTPUT_TRUNCATED'
  /** The model declined the task (a refusal stop reason or refusal content): the run fails, it is not retried. */
  | 'MODEL_REFUSED'
  | 'RUN_NOT_FOUND'
  /** An idempotency key already used for another role or another input: a new request needs a new key. */
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'RUN_NOT_RESUMABLE'
  | 'RUN_LEASED'
  /**
   * A specialist's child run cannot be taken up yet: its role's `concurrency` runs are in flight. Its
   * parent's driver waits for a place and tries again (delegation/children.ts); no caller sees it.
   */
  | 'CONCURRENCY_LIMIT'
  | 'RUN_CRASHED'
  | 'STORE_CONFLICT'
  | 'STORE_ERROR'
  /**
   * A run's drives met nothing but a busy database (statement or lock timeouts, a full pool) for the busy
   * limit (serve.storeBusyLimitMs): recorded as a failed attempt, the run failed after its last. Also the
   * HTTP answer (503) to a request a busy database stopped.
   */
  | 'STORE_BUSY'
  /**
   * A command that only reads (or acts on stored records) named an embedded store that does not exist: the
   * data dir has no nightshift.db. Nothing was created.
   */
  | 'STORE_NOT_FOUND'
  | 'APPROVAL_NOT_FOUND'
  | 'APPROVAL_NOT_PENDING'
  | 'APPROVAL_MISMATCH'
  | 'ESCALATION_NOT_FOUND'
  | 'ESCALATION_NOT_PENDING'
  | 'ACTOR_INVALID'
  /** The named person may not decide this role's approvals or escalations (people: in nightshift.config.yaml). */
  | 'PERSON_NOT_ALLOWED'
  /** A decision from a channel (Slack, an email link) that is refused: unknown person, bad or used link. */
  | 'DECISION_REFUSED'
  /** A notification could not be sent; `retryable` says whether trying again later may work. */
  | 'NOTIFICATION_FAILED'
  /** A role version the store does not have (`nightshift versions <role>` lists them). */
  | 'VERSION_NOT_FOUND'
  | 'PROMOTION_NOT_FOUND'
  /** The promotion was already granted or refused. */
  | 'PROMOTION_NOT_PENDING'
  /** The active version changed since the promotion was asked for (it was judged against another): ask again. */
  | 'PROMOTION_STALE'
  /** Rollback with no earlier active version to go back to. */
  | 'NOTHING_TO_ROLL_BACK'
  /** The improve loop's proposer answered with a change that is not a valid role (the round is recorded). */
  | 'PROPOSAL_INVALID'
  /** `nightshift improve` from a role file that is not the role's active version. */
  | 'IMPROVE_BASE_MISMATCH'
  /** `nightshift improve` with the eval suite file inside a workspace the evals copy for the role. */
  | 'IMPROVE_SUITE_EXPOSED'
  /** No credentials, or a token or session that is unknown, revoked or expired (HTTP 401). */
  | 'AUTH_REQUIRED'
  /** Authenticated, but the token lacks the scope this door needs (HTTP 403). */
  | 'AUTH_FORBIDDEN'
  /** A browser form or request without the session's CSRF token, or with a wrong one (HTTP 403). */
  | 'CSRF_INVALID'
  /** `token revoke` named no token (or one already revoked). */
  | 'TOKEN_NOT_FOUND'
  /** `serve` could not listen on its host and port (in use, not permitted): nothing was started. */
  | 'LISTEN_FAILED'
  /** A `Runtime` method was called after its `close()`: its store is closed, nothing was read or written. */
  | 'RUNTIME_CLOSED'
  | 'INTERNAL';

// Every code, so a code read from elsewhere (a daemon's JSON error answer to `nightshift emit`) can be told
// from the HTTP layer's own codes; typed as a record of the union, so a code added there must be added here.
const ERROR_CODES: Record<ErrorCode, true> = {
  ROLE_INVALID: true,
  ROLE_NOT_FOUND: true,
  CONFIG_INVALID: true,
  INPUT_INVALID: true,
  USAGE: true,
  MODEL_CONFIG: true,
  MODEL_ERROR: true,
  MODEL_RESPONSE_TOO_LARGE: true,
  EXECUTOR_UNAVAILABLE: true,
  EXECUTOR_FAILED: true,
  SCRIPT_EXHAUSTED: true,
  TOOL_NOT_FOUND: true,
  TOOL_MODULE_INVALID: true,
  TOOL_ARGS_INVALID: true,
  TOOL_CALL_INVALID: true,
  TOOL_FAILED: true,
  TOOL_TIMEOUT: true,
  TOOL_RESULT_INVALID: true,
  SCOPE_VIOLATION: true,
  SECRET_NOT_SET: true,
  SANDBOX_UNAVAILABLE: true,
  POLICY_DENIED: true,
  BUDGET_EXCEEDED: true,
  OUTPUT_INVALID: true,
  OUTPUT_TRUNCATED: true,
  MODEL_REFUSED: true,
  RUN_NOT_FOUND: true,
  IDEMPOTENCY_KEY_REUSED: true,
  RUN_NOT_RESUMABLE: true,
  RUN_LEASED: true,
  CONCURRENCY_LIMIT: true,
  RUN_CRASHED: true,
  STORE_CONFLICT: true,
  STORE_ERROR: true,
  STORE_BUSY: true,
  STORE_NOT_FOUND: true,
  APPROVAL_NOT_FOUND: true,
  APPROVAL_NOT_PENDING: true,
  APPROVAL_MISMATCH: true,
  ESCALATION_NOT_FOUND: true,
  ESCALATION_NOT_PENDING: true,
  ACTOR_INVALID: true,
  PERSON_NOT_ALLOWED: true,
  DECISION_REFUSED: true,
  NOTIFICATION_FAILED: true,
  VERSION_NOT_FOUND: true,
  PROMOTION_NOT_FOUND: true,
  PROMOTION_NOT_PENDING: true,
  PROMOTION_STALE: true,
  NOTHING_TO_ROLL_BACK: true,
  PROPOSAL_INVALID: true,
  IMPROVE_BASE_MISMATCH: true,
  IMPROVE_SUITE_EXPOSED: true,
  AUTH_REQUIRED: true,
  AUTH_FORBIDDEN: true,
  CSRF_INVALID: true,
  TOKEN_NOT_FOUND: true,
  LISTEN_FAILED: true,
  RUNTIME_CLOSED: true,
  INTERNAL: true,
};

/** Whether `value` is one of nightshift's error codes (not an HTTP-level code such as BAD_REQUEST). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

const NIGHTSHIFT_ERROR = Symbol.for('nightshift.error');
const ROLE_INVALID_ERROR = Symbol.for('nightshift.error.role-invalid');

/** Whether `value` is an object carrying the marker `mark` (on itself or its prototype chain). */
function marked(value: unknown, mark: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[mark] === true;
}

export interface NightshiftErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
  /** Whether trying again later may succeed; see `NightshiftError.retryable`. */
  retryable?: boolean;
}

export class NightshiftError extends Error {
  /** True when `err` is a NightshiftError from any copy of nightshift (see the top of this file). */
  static isInstance(err: unknown): err is NightshiftError {
    return marked(err, NIGHTSHIFT_ERROR);
  }

  readonly code: ErrorCode;
  /** Structured details for `--json` error output and logs; never holds secrets. */
  readonly details: Record<string, unknown> | undefined;
  /**
   * Whether the same work may succeed if tried again later (a provider's 429 or 5xx, a cut connection):
   * job-mode retries read it (engine/run-retry.ts). Undefined when whoever threw does not know; the code
   * decides then.
   */
  readonly retryable: boolean | undefined;

  constructor(code: ErrorCode, message: string, options?: NightshiftErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NightshiftError';
    this.code = code;
    this.details = options?.details;
    this.retryable = options?.retryable;
  }
}
// On the prototype, not a field: it stays out of JSON and of the error's own keys, and subclasses inherit it.
Object.defineProperty(NightshiftError.prototype, NIGHTSHIFT_ERROR, { value: true });

/** One problem found while validating a file: where it is and what is wrong. */
export interface Issue {
  file?: string;
  line?: number;
  column?: number;
  /** Dotted key path, e.g. `budget.maxSteps` or `escalation[0].when`. */
  path: string;
  message: string;
}

export function formatIssue(issue: Issue): string {
  // `file:line key: message`; without a key, `file:line: message` (never `file message`).
  const where = issue.file
    ? `${issue.file}${issue.line ? `:${issue.line}` : ''}${issue.path ? ' ' : ': '}`
    : '';
  const key = issue.path ? `${issue.path}: ` : '';
  return `${where}${key}${issue.message}`;
}

/** A role file (or defineRole input) that failed validation; carries every issue, not only the first. */
export class RoleInvalidError extends NightshiftError {
  readonly issues: Issue[];
  constructor(issues: Issue[], file?: string) {
    const head = file ? `invalid role ${file}` : 'invalid role';
    super('ROLE_INVALID', `${head}:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`, {
      details: { issues },
    });
    this.issues = issues;
  }

  /** True when `err` is a RoleInvalidError from any copy of nightshift. */
  static override isInstance(err: unknown): err is RoleInvalidError {
    return marked(err, ROLE_INVALID_ERROR);
  }
}
Object.defineProperty(RoleInvalidError.prototype, ROLE_INVALID_ERROR, { value: true });

/** True when `err` is a NightshiftError from any copy of nightshift; the same as `NightshiftError.isInstance`. */
export function isNightshiftError(err: unknown): err is NightshiftError {
  return NightshiftError.isInstance(err);
}
