// The built-in tools every role may list.
import type { AnyTool } from '../types.js';
import { fsList } from './fs-list.js';
import { fsRead } from './fs-read.js';
import { fsWrite } from './fs-write.js';

export const builtinTools: readonly AnyTool[] = [fsRead, fsList, fsWrite];
export { fsList, fsRead, fsWrite };
