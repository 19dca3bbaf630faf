// The facts the policy needs about one requested call (the tool's declaration, its arguments checked
// against the tool's schema, the tool's own scope verdict), gathered and handed to `decide`. Shared by the
// turn loop and executor sessions, so a call is judged the same way whoever asked for it. What the verdict
// makes of the call in the ledger is ledger.ts's.
import { delegateToolNames } from '../delegation/tools.js';
import { decide, ESCALATE_TOOL, type PolicyDecision } from '../policy/decide.js';
import { scopeVerdict } from '../tools/scope-verdict.js';
import type { ScopeVerdict } from '../tools/types.js';
import { EscalateArgs } from './escalate-tool.js';
import type { PreparedRole } from './prepare.js';

export interface Judgement {
  verdict: PolicyDecision;
  /** The arguments as the tool's schema parsed them, when they were valid. */
  parsedArgs: unknown;
}

export function zodMessage(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues
    .map((i) => `${i.path.length ? `${i.path.map(String).join('.')}: ` : ''}${i.message}`)
    .join('; ');
}

/**
 * The arguments as the call will act on them, for escalation rules to see besides the arguments as given:
 * as the tool's schema parsed them (a `z.coerce.number()` turns `[5000]` and `true` into numbers a rule
 * on the given value never saw as one) with the scope check's canonical values (real paths, parsed URLs)
 * put over them. Undefined when it is the arguments as given.
 */
function actedOnArgs(args: unknown, parsed: unknown, scope: ScopeVerdict): unknown {
  const base = parsed ?? args;
  const canonical = scope.kind === 'inside' ? scope.canonical : undefined;
  if (canonical !== undefined && base !== null && typeof base === 'object' && !Array.isArray(base))
    return { ...(base as Record<string, unknown>), ...canonical };
  return base === args ? undefined : base;
}

export async function judgeCall(
  prepared: PreparedRole,
  request: { tool: string; args: unknown },
  input: unknown,
  /** The folder paths are checked against, when not the role's workspace (an executor's copy of it). */
  workspace?: string,
): Promise<Judgement> {
  const own = await prepared.judgeOwn?.(request);
  if (own) return own;
  const { role, tools } = prepared;
  const tool = tools.get(request.tool);
  let argsError: string | undefined;
  let parsedArgs: unknown;
  if (request.tool === ESCALATE_TOOL) {
    const parsed = EscalateArgs.safeParse(request.args);
    if (parsed.success) parsedArgs = parsed.data;
    else argsError = zodMessage(parsed.error);
  } else if (tool) {
    const parsed = tool.input.safeParse(request.args);
    if (parsed.success) parsedArgs = parsed.data;
    else argsError = zodMessage(parsed.error);
  }
  let scope: ScopeVerdict = { kind: 'unscoped' };
  if (tool?.scope && argsError === undefined) {
    try {
      const given: unknown = await tool.scope(parsedArgs, {
        role,
        workspace: workspace ?? role.workspace,
        protectedPaths: prepared.protectedPaths?.() ?? [],
      });
      scope = scopeVerdict(tool.name, given);
    } catch (err) {
      scope = { kind: 'outside', reason: `scope check failed: ${(err as Error).message}` };
    }
  }
  const verdict = decide({
    autonomy: role.autonomy,
    // A role's specialists are part of its authority: each is the tool `delegate.<name>`.
    roleTools: role.specialists?.length ? [...role.tools, ...delegateToolNames(role)] : role.tools,
    call: { tool: request.tool, args: request.args },
    tool: tool ? { effect: tool.effect, approval: tool.approval } : undefined,
    argsError,
    scope,
    escalation: role.escalation,
    input,
    // Only rules look at it: a role without any is spared the copy.
    canonicalArgs: role.escalation.length > 0 ? actedOnArgs(request.args, parsedArgs, scope) : undefined,
  });
  return { verdict, parsedArgs };
}
