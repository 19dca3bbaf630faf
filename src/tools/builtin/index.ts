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
