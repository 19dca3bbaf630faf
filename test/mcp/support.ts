// What the MCP server tests share: reading a tool's answer, and the words a deciding tool's name would have.
import assert from 'node:assert/strict';

export interface ToolText {
  isError?: boolean;
  content?: unknown;
  structuredContent?: unknown;
}

/** Words in a tool name that would mean it decides for a person (or undoes a person's decision). */
export const DECIDING_WORDS = ['approve', 'reject', 'answer', 'decide', 'cancel', 'resume', 'allow', 'deny'];

export function toolText(called: unknown): string {
  const result = called as ToolText;
  const content = (result.content ?? []) as { type: string; text?: string }[];
  return content.map((c) => c.text ?? `[${c.type}]`).join('\n');
}

/** The structured answer of a call that must have succeeded. */
export function toolJson(called: unknown): Record<string, unknown> {
  const result = called as ToolText;
  assert.notEqual(result.isError, true, toolText(result));
  return result.structuredContent as Record<string, unknown>;
}
