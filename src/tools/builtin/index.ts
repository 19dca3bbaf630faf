// The built-in tools every role may list.
import type { AnyTool } from '../types.js';
import { fsList } from './fs-list.js';
import { fsRead } from './fs-read.js';
import { fsWrite } from './fs-write.js';
import { httpFetch } from './http-fetch.js';
import { shellExec } from './shell-exec.js';

export const builtinTools: readonly AnyTool[] = [fsRead, fsList, fsWrite, shellExec, httpFetch];
export { fsList, fsRead, fsWrite, httpFetch, shellExec };
