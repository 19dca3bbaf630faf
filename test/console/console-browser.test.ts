// The web console in Debian's chromium (never a downloaded one), driven by playwright-core: the shared
// scenario of console-flow.ts. This run saves docs/console.png.
import { describeConsole } from './console-flow.js';
import { chromiumChoice } from './drivers.js';

describeConsole(chromiumChoice());
