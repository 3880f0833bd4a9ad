// Shared by the panel's browser tests (not a test itself): the panel on a
// loopback port and Debian's Chromium driven by playwright-core.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from '@jest/globals';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { closeServer, listen } from '@herald/observability';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startPanelHarness, type PanelHarness } from './panel-test-harness.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
// Without the background-networking flags Chromium keeps dialling out, which this network refuses.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const DESKTOP = { width: 1280, height: 800 };
export const MOBILE = { width: 390, height: 844 };

export interface BrowserHarness {
  h: PanelHarness;
  baseUrl: string;
  /** Console errors (CSP violations land here) and page errors of the current test. */
  problems: string[];
  open(viewport: { width: number; height: number }): Promise<Page>;
  signIn(page: Page): Promise<void>;
  /** Saves a full-page screenshot to apps/admin/test-artifacts/<name>.png. */
  shot(page: Page, name: string): Promise<void>;
  /** Between tests: no apps, no problems. */
  reset(): Promise<void>;
  closeContext(): Promise<void>;
  close(): Promise<void>;
}

export async function startBrowserHarness(): Promise<BrowserHarness> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const h = await startPanelHarness();
  const server = createServer(h.app);
  const port = await listen(server, 0, '127.0.0.1');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  let context: BrowserContext | undefined;
  const harness: BrowserHarness = {
    h,
    baseUrl: `http://127.0.0.1:${port}`,
    problems: [],
    async open(viewport) {
      context = await browser.newContext({
        viewport,
        ...(viewport === MOBILE ? { isMobile: true, hasTouch: true } : {}),
      });
      const page = await context.newPage();
      page.on('console', (message) => {
        if (message.type() === 'error') harness.problems.push(`console: ${message.text()}`);
      });
      page.on('pageerror', (error) => harness.problems.push(`page error: ${error.message}`));
      return page;
    },
    async signIn(p) {
      await p.goto(`${harness.baseUrl}/login`);
      await p.fill('input[type=email][name=email]', ADMIN_EMAIL);
      await p.fill('input[type=password][name=password]', ADMIN_PASSWORD);
      const [response] = await Promise.all([
        p.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login'),
        p.click('button[type=submit]'),
      ]);
      if (response.status() !== 303)
        throw new Error(`login answered ${response.status()}: ${await response.text()}`);
      await p.waitForURL((url) => !url.pathname.startsWith('/login'));
    },
    async shot(p, name) {
      await p.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
    },
    async reset() {
      await h.t.db.deleteFrom('apps').execute();
      harness.problems.length = 0;
    },
    async closeContext() {
      await context?.close();
      context = undefined;
    },
    async close() {
      await browser.close();
      await closeServer(server);
      await h.close();
    },
  };
  return harness;
}

/**
 * One browser harness for a test file with the usual hooks: started before
 * all tests and closed after them; before each, `reset` (then `options.reset`);
 * after each, the page context closes and the test fails on any console or
 * page error. `b` and `h` are filled in by the beforeAll hook: use them inside
 * tests and hooks only.
 */
export function useBrowserSuite(options: { reset?: (b: BrowserHarness) => Promise<void> } = {}): {
  b: BrowserHarness;
  h: PanelHarness;
} {
  const b = {} as BrowserHarness;
  const h = {} as PanelHarness;
  beforeAll(async () => {
    const started = await startBrowserHarness();
    Object.assign(b, started);
    Object.assign(h, started.h);
  });
  afterAll(async () => {
    await b.close();
  });
  beforeEach(async () => {
    await b.reset();
    await options.reset?.(b);
  });
  afterEach(async () => {
    await b.closeContext();
    expect(b.problems).toEqual([]);
  });
  return { b, h };
}
