// Typed errors with stable codes. The CLI maps codes to exit codes in one place (cli/exit-codes.ts);
// library users switch on `code`, never on message text.

export type ErrorCode =
  | 'ROLE_INVALID'
  | 'ROLE_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'INPUT_INVALID'
  | 'USAGE'
  | 'MODEL_CONFIG'
  | 'MODEL_ERROR'
  | 'EXECUTOR_UNAVAILABLE'
  | 'EXECUTOR_FAILED'
  | 'SCRIPT_EXHAUSTED'
  | 'TOOL_NOT_FOUND'
  | 'TOOL_MODULE_INVALID'
  | 'TOOL_ARGS_INVALID'
  | 'SCOPE_VIOLATION'
  /** The command sandbox cannot be built (shell.exec is refused). */
  | 'SANDBOX_UNAVAILABLE'
  | 'POLICY_DENIED'
  | 'BUDGET_EXCEEDED'
  | 'OUTPUT_INVALID'
  | 'RUN_NOT_FOUND'
  | 'RUN_NOT_RESUMABLE'
  | 'RUN_LEASED'
  | 'RUN_CRASHED'
  | 'STORE_CONFLICT'
  | 'STORE_ERROR'
  | 'APPROVAL_NOT_FOUND'
  | 'APPROVAL_NOT_PENDING'
  | 'APPROVAL_MISMATCH'
  | 'ESCALATION_NOT_FOUND'
  | 'ESCALATION_NOT_PENDING'
  | 'ACTOR_INVALID'
  | 'INTERNAL';

export class NightshiftError extends Error {
  readonly code: ErrorCode;
  /** Structured details for `--json` error output and logs; never holds secrets. */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NightshiftError';
    this.code = code;
    this.details = options?.details;
  }
}

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
  const where = issue.file ? `${issue.file}${issue.line ? `:${issue.line}` : ''} ` : '';
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
}

export function isNightshiftError(err: unknown): err is NightshiftError {
  return err instanceof NightshiftError;
}
