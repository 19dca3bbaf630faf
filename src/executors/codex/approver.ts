// Answering Codex's approval requests: each command and file change becomes the nightshift call it amounts
// to, the engine's gate judges it (and commits the decision), and Codex is told accept or decline. Codex
// waits for the answer, so nothing it asks about happens before the policy has decided.
import type { GateVerdict, SessionRequest, ToolRequest } from '../types.js';
import {
  CommandApproval,
  commandToShellExec,
  FileChangeApproval,
  type FileUpdate,
  fileChangeCalls,
} from './approvals.js';

/** What Codex is answered for a verdict: it does the call only if the policy allows it (or drafts it on a copy). */
function accepts(verdict: GateVerdict, onCopy: boolean): boolean {
  return verdict.decision === 'allow' || (onCopy && verdict.decision === 'draft');
}

/** Answers Codex's approval requests through the gate, one request at a time, in Codex's order. */
export function approver(
  r: SessionRequest,
  notDone: string[],
  root: string,
  /** Whether Codex runs commands inside its own sandbox (not danger-full-access). */
  sandboxed: boolean,
  onCopy: boolean,
) {
  const changes = new Map<string, FileUpdate[]>();
  const common = {
    sandboxed,
    ...(onCopy ? { copy: root } : {}),
  } satisfies Partial<ToolRequest>;

  const command = async (params: unknown) => {
    const p = CommandApproval.parse(params);
    const id = p.approvalId ?? p.itemId;
    const kind = p.kind ?? 'command';
    const request: ToolRequest =
      kind === 'command' && p.command
        ? {
            id,
            executorTool: 'exec_command',
            tool: 'shell.exec',
            args: commandToShellExec(p.command, p.cwd, root),
            ...common,
          }
        : // Input to a running process, or a shape nightshift does not know: a name no role lists.
          {
            id,
            executorTool: 'exec_command',
            tool: `codex.${kind}`,
            args: { command: p.command },
            ...common,
          };
    const verdict = await r.gate(request);
    return { decision: accepts(verdict, onCopy) ? 'accept' : 'decline' };
  };

  const fileChange = async (params: unknown) => {
    const p = FileChangeApproval.parse(params);
    const files = changes.get(p.itemId);
    if (!files || files.length === 0) {
      const verdict = await r.gate({
        id: p.itemId,
        executorTool: 'apply_patch',
        tool: 'codex.unannounced_change',
        args: {},
        ...common,
      });
      return { decision: accepts(verdict, onCopy) ? 'accept' : 'decline' };
    }
    // Codex applies a change whole or not at all: it is accepted only if every file in it is.
    const allowed: string[] = [];
    let all = true;
    let n = 0;
    for (const file of files) {
      for (const call of await fileChangeCalls(root, file)) {
        const id = `${p.itemId}:${n++}`;
        const verdict = await r.gate({ id, executorTool: 'apply_patch', ...call, ...common });
        if (accepts(verdict, onCopy)) allowed.push(id);
        else all = false;
      }
    }
    if (!all) notDone.push(...allowed);
    return { decision: all ? 'accept' : 'decline' };
  };

  return {
    announce: (itemId: string, files: FileUpdate[]) => changes.set(itemId, files),
    async onRequest(method: string, params: unknown): Promise<unknown> {
      if (method === 'item/commandExecution/requestApproval') return command(params);
      if (method === 'item/fileChange/requestApproval') return fileChange(params);
      // Questions for a user, extra permissions, MCP elicitations: there is no user, and nothing widens.
      await r.emit({ type: 'refused_request', text: method, isError: true });
      throw new Error(`nightshift does not answer ${method}`);
    },
  };
}
