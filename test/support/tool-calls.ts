// Drives a list of tool calls through the runtime as one model turn of a full-autonomy role (then a final
// answer), for tests that check what the tools did on disk and what each call's record says.
import { createRuntime } from '../../src/runtime.js';
import type { ToolCallRecord } from '../../src/store/types.js';
import type { TestRole, TestRoleOptions } from './roles.js';

/** Prepares the role's workspace before the run; what it returns, when an array, is the protected paths. */
export type WorkspaceSetup = (r: TestRole) => unknown;

/**
 * Writes the role with `role` (a `testRoles()` writer, which removes it after the file's tests), lets
 * `setup` prepare its workspace (returning the runtime's protected paths, if any), runs it once and
 * returns the run's tool calls in order.
 */
export async function runToolCalls(
  role: (o: TestRoleOptions) => TestRole,
  tools: string[],
  calls: { tool: string; args: unknown }[],
  setup: WorkspaceSetup = () => undefined,
): Promise<{ r: TestRole; calls: ToolCallRecord[] }> {
  const r = role({
    autonomy: 'full',
    tools,
    ledgerTools: false,
    turns: [{ calls }, { final: { summary: 'done' } }],
  });
  const given = setup(r);
  const protectedPaths = Array.isArray(given) ? (given as string[]) : [];
  const rt = await createRuntime({ dataDir: r.dataDir, protectedPaths });
  try {
    const result = await rt.run(r.file, {});
    return { r, calls: (await rt.get(result.runId))!.toolCalls };
  } finally {
    await rt.close();
  }
}
