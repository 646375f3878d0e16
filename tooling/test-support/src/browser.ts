/**
 * A real browser for the sign-in tests: Debian's `chromium` (installed by tooling/services/install.sh)
 * driven by playwright-core, which downloads no browser. A missing chromium fails the test with the
 * install hint; it never skips.
 */
import { access, constants } from 'node:fs/promises';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const INSTALL_HINT =
  "Run `bash tooling/services/install.sh` as root (it installs Debian's chromium package).";

/** Starts headless chromium (`--no-sandbox` when running as root, which chromium requires). */
export async function launchChromium(): Promise<Browser> {
  try {
    await access(CHROMIUM_PATH, constants.X_OK);
  } catch {
    throw new Error(`No chromium at ${CHROMIUM_PATH}. ${INSTALL_HINT}`);
  }
  const asRoot = process.getuid?.() === 0;
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: asRoot ? ['--no-sandbox'] : [],
    timeout: 60_000,
  });
}

/** What the person at the sandbox's sign-in page does. */
export interface SandboxSignInSteps {
  user: string;
  password: string;
  /** The one-time code, for users who need MFA. */
  otp?: string;
  /** Accept the consent page when it comes (default) or cancel it; `cancel-sign-in` cancels on the first page. */
  decision?: 'accept' | 'cancel' | 'cancel-sign-in';
}

/**
 * Opens `url` (the sign-in URL the app gave its `openBrowser`) in a fresh page of `browser` and goes
 * through the sandbox's pages: sign-in, one-time code, consent. Resolves with the text of the page
 * the browser ends on (the app's loopback page after the redirect).
 */
export async function signInWithBrowser(
  browser: Browser,
  url: string,
  steps: SandboxSignInSteps,
): Promise<string> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    await page.goto(url);
    if (steps.decision === 'cancel-sign-in') {
      await submitAndLeave(page, '#cancel');
      return (await page.textContent('body')) ?? '';
    }
    await page.fill('#username', steps.user);
    await page.fill('#password', steps.password);
    await submitAndLeave(page, '#submit');
    if (await page.locator('#otp').count()) {
      await page.fill('#otp', steps.otp ?? '');
      await submitAndLeave(page, '#submit');
    }
    if (await page.locator('#accept').count()) {
      await submitAndLeave(page, steps.decision === 'cancel' ? '#cancel' : '#accept');
    }
    return (await page.textContent('body')) ?? '';
  } finally {
    await context.close();
  }
}

/** Clicks `selector` and waits until the page (and any self-submitting form after it) settled. */
async function submitAndLeave(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
  // The sandbox answers form_post with a page that submits itself on load: wait for that one too.
  if (page.url().startsWith('https:') && (await page.locator('form[action^="http://"]').count())) {
    await page.waitForURL(/^http:\/\/(localhost|127\.0\.0\.1)[:/]/, { waitUntil: 'load' });
  }
}
