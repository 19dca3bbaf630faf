// The web console in Debian's firefox-esr, driven by puppeteer-core over WebDriver BiDi (playwright-core
// cannot drive a stock Firefox): the same scenario as chromium's (console-flow.ts).
import { describeConsole } from './console-flow.js';
import { firefoxChoice } from './drivers.js';

describeConsole(firefoxChoice());
