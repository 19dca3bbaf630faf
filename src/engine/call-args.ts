// The arguments a decided call runs with. The ledger stores a call's arguments redacted (`[secret NAME]`
// where the model put a secret's value) but its hash over the arguments exactly as the model gave them.
// At run time the values are put back by name and the result must hash to the decided hash: so the tool
// gets exactly what was decided (and approved), after a restart too, and neither a changed store row, a
// rotated secret, nor a placeholder the model wrote itself can make it run anything else.
import { hashJson } from '../canonical-json.js';
import { secretNameForMessage } from '../secret-name.js';
import type { ToolCallRecord } from '../store/types.js';
import { placeholderNames, type Redactor } from '../tools/secrets.js';

export type DecidedArgs =
  | { ok: true; args: unknown }
  /** `unverifiable`: the arguments name secrets this process has no value for; `mismatch`: they differ. */
  | { ok: false; why: 'mismatch' | 'unverifiable'; reason: string };

const hashOf = (call: Pick<ToolCallRecord, 'tool'>, args: unknown) => hashJson({ tool: call.tool, args });

export function decidedArgs(
  call: Pick<ToolCallRecord, 'key' | 'tool' | 'args' | 'argsHash'>,
  reveal: Redactor | undefined,
): DecidedArgs {
  // As stored (no secret in them, or the model wrote a placeholder itself), then with the values put back.
  if (hashOf(call, call.args) === call.argsHash) return { ok: true, args: call.args };
  const revealed = reveal?.(call.args);
  if (revealed !== undefined && hashOf(call, revealed) === call.argsHash) return { ok: true, args: revealed };
  const missing = [...placeholderNames(revealed ?? call.args)];
  if (missing.length > 0)
    return {
      ok: false,
      why: 'unverifiable',
      reason: `call ${call.key} uses secret(s) ${missing.map(secretNameForMessage).join(', ')}, which are not set in this process, so its arguments cannot be checked against what was decided`,
    };
  return {
    ok: false,
    why: 'mismatch',
    reason: `call ${call.key}: its arguments are not the ones that were decided (their hash differs: the stored call was changed, or a secret it uses has another value now)`,
  };
}
