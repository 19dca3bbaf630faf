// The built-in tools every role may list.
import type { AnyTool } from '../types.js';
import { fsDelete } from './fs-delete.js';
import { fsEdit } from './fs-edit.js';
import { fsList } from './fs-list.js';
import { fsRead } from './fs-read.js';
import { fsSearch } from './fs-search.js';
import { fsWrite } from './fs-write.js';
import { httpFetch } from './http-fetch.js';
import { notifyEmail } from './notify-email.js';
import { notifySlack } from './notify-slack.js';
import { notifyWebhook } from './notify-webhook.js';
import { shellExec } from './shell-exec.js';

export const builtinTools: readonly AnyTool[] = [
  fsRead,
  fsList,
  fsSearch,
  fsWrite,
  fsEdit,
  fsDelete,
  shellExec,
  httpFetch,
  notifySlack,
  notifyEmail,
  notifyWebhook,
];

/**
 * The built-ins that work in the role's workspace, and only there: with no `workspace:` every call of them
 * is denied, so a role that lists one without a workspace is refused when it is loaded (decision 077),
 * unless a tool module or inline tool of the same name replaces the built-in.
 */
export const WORKSPACE_TOOLS: ReadonlySet<string> = new Set(
  [fsRead, fsList, fsSearch, fsWrite, fsEdit, fsDelete, shellExec].map((t) => t.name),
);

export {
  fsDelete,
  fsEdit,
  fsList,
  fsRead,
  fsSearch,
  fsWrite,
  httpFetch,
  notifyEmail,
  notifySlack,
  notifyWebhook,
  shellExec,
};
