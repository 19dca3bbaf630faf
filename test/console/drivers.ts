// The two browsers the console is tested in, behind one small page interface so one scenario
// (console-flow.ts) drives both: Debian's chromium through playwright-core (CDP) and Debian's firefox-esr
// through puppeteer-core (WebDriver BiDi; playwright cannot drive a stock Firefox). Neither library ever
// downloads a browser: both are given the system's executable. With CI set, a missing browser fails.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';

/** What the scenario does with a page; every selector is CSS, every wait bounded. */
export interface ConsolePage {
  /** Navigates; the main response's status. */
  goto(url: string): Promise<number | undefined>;
  url(): string;
  fill(selector: string, text: string): Promise<void>;
  /** Clicks and waits for the navigation it starts to land on `url`. */
  clickAndWait(selector: string, url: string): Promise<void>;
  press(key: 'Tab' | 'Enter' | 'Shift+Tab'): Promise<void>;
  /** Presses a key that submits a form and waits for the navigation to land on `url`. */
  pressAndWait(key: 'Enter', url: string): Promise<void>;
  type(text: string): Promise<void>;
  text(selector: string): Promise<string | null>;
  count(selector: string): Promise<number>;
  attribute(selector: string, name: string): Promise<string | null>;
  /** A JavaScript expression run in the page (a string: the tests' TypeScript has no DOM types). */
  evaluate<T>(expression: string): Promise<T>;
  /** The page's cookies as a Cookie header: a forged request sent from Node with this person's session. */
  cookieHeader(): Promise<string>;
  screenshot(path: string): Promise<void>;
  close(): Promise<void>;
}

export interface ConsoleBrowser {
  name: string;
  /** A new page in a fresh profile (no cookies); `problems` gets console errors, `requests` every URL asked. */
  newPage(watch: { problems: string[]; requests: string[] }): Promise<ConsolePage>;
  close(): Promise<void>;
}

export interface BrowserChoice {
  name: 'chromium' | 'firefox';
  executable: string;
  /** A reason to skip (not installed, outside CI), or false. */
  skip: string | false;
  launch(): Promise<ConsoleBrowser>;
}

function choose(
  name: BrowserChoice['name'],
  executable: string,
  install: string,
  launch: () => Promise<ConsoleBrowser>,
) {
  const missing = !existsSync(executable);
  if (missing && process.env.CI)
    throw new Error(
      `${executable} is missing: install Debian's ${install} (apt-get install ${install}); CI runs this test`,
    );
  return {
    name,
    executable,
    skip: missing ? `${executable} is not installed` : false,
    launch,
  } as BrowserChoice;
}

const NAVIGATION_MS = 30_000;

/** In-page: the attribute now, or null when the element is not there (no waiting for it to appear). */
const attributeOf = (selector: string, name: string) =>
  `(() => { const el = document.querySelector(${JSON.stringify(selector)}); return el ? el.getAttribute(${JSON.stringify(name)}) : null; })()`;

export function chromiumChoice(): BrowserChoice {
  const executable = process.env.NIGHTSHIFT_CHROMIUM ?? '/usr/bin/chromium';
  return choose('chromium', executable, 'chromium', async () => {
    const browser = await chromium.launch({ executablePath: executable, args: ['--no-sandbox'] });
    return {
      name: 'chromium',
      close: () => browser.close(),
      async newPage(watch) {
        const context = await browser.newContext();
        const page = await context.newPage();
        page.on('console', (m) => {
          if (m.type() === 'error') watch.problems.push(m.text());
        });
        page.on('request', (r) => watch.requests.push(r.url()));
        return {
          goto: async (url) => (await page.goto(url))?.status(),
          url: () => page.url(),
          fill: (s, t) => page.fill(s, t),
          async clickAndWait(s, url) {
            await Promise.all([page.waitForURL(url, { timeout: NAVIGATION_MS }), page.click(s)]);
          },
          press: (key) => page.keyboard.press(key),
          async pressAndWait(key, url) {
            await Promise.all([page.waitForURL(url, { timeout: NAVIGATION_MS }), page.keyboard.press(key)]);
          },
          type: (t) => page.keyboard.type(t),
          text: (s) => page.textContent(s),
          count: (s) => page.locator(s).count(),
          attribute: (s, n) => page.evaluate(attributeOf(s, n)) as Promise<string | null>,
          evaluate: <T>(e: string) => page.evaluate(e) as Promise<T>,
          cookieHeader: async () => (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; '),
          screenshot: async (path) => {
            await page.screenshot({ path, fullPage: true });
          },
          close: () => context.close(),
        };
      },
    };
  });
}

export function firefoxChoice(): BrowserChoice {
  const executable = process.env.NIGHTSHIFT_FIREFOX ?? '/usr/bin/firefox-esr';
  return choose('firefox', executable, 'firefox-esr', async () => {
    const browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: executable,
      headless: true,
    });
    return {
      name: 'firefox',
      close: () => browser.close(),
      async newPage(watch) {
        const context = await browser.createBrowserContext();
        const page = await context.newPage();
        page.setDefaultTimeout(NAVIGATION_MS);
        page.on('console', (m) => {
          if (m.type() === 'error') watch.problems.push(m.text());
        });
        page.on('request', (r) => watch.requests.push(r.url()));
        const landed = async (url: string) => {
          // A redirect chain (303 after a POST) settles on its last page; check where it landed.
          if (page.url() !== url) await page.waitForFunction(`location.href === ${JSON.stringify(url)}`);
        };
        return {
          goto: async (url) => (await page.goto(url))?.status(),
          url: () => page.url(),
          async fill(s, t) {
            await page.$eval(s, (el) => {
              (el as unknown as { value: string }).value = '';
            });
            await page.type(s, t);
          },
          async clickAndWait(s, url) {
            await Promise.all([page.waitForNavigation(), page.click(s)]);
            await landed(url);
          },
          press: (key) =>
            key === 'Shift+Tab'
              ? (async () => {
                  await page.keyboard.down('Shift');
                  await page.keyboard.press('Tab');
                  await page.keyboard.up('Shift');
                })()
              : page.keyboard.press(key),
          async pressAndWait(key, url) {
            await Promise.all([page.waitForNavigation(), page.keyboard.press(key)]);
            await landed(url);
          },
          type: (t) => page.keyboard.type(t),
          text: (s) => page.$eval(s, (el) => el.textContent).catch(() => null),
          count: async (s) => (await page.$$(s)).length,
          attribute: (s, n) => page.evaluate(attributeOf(s, n)) as Promise<string | null>,
          evaluate: <T>(e: string) => page.evaluate(e) as Promise<T>,
          cookieHeader: async () => (await page.cookies()).map((c) => `${c.name}=${c.value}`).join('; '),
          screenshot: async (path) => {
            await page.screenshot({ path: path as `${string}.png`, fullPage: true });
          },
          close: () => context.close(),
        };
      },
    };
  });
}
