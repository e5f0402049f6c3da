import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { describe, it } from "vitest";

/** The system Chromium (Debian package `chromium`); override with RUNTRAIL_CHROMIUM. */
export const CHROMIUM_PATH = process.env.RUNTRAIL_CHROMIUM || "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Where screenshots go (gitignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL("../../test-artifacts", import.meta.url));

function missingReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  return `${CHROMIUM_PATH} not found: install the Debian package (apt-get install -y chromium) or set RUNTRAIL_CHROMIUM`;
}

/**
 * `describe` for suites that need a real Chromium. Without one the suite is skipped with the
 * reason printed — except under `CI=true`, where a missing browser is a failing test.
 */
export function describeBrowser(name: string, fn: () => void): void {
  const reason = missingReason();
  if (!reason) {
    describe(name, fn);
    return;
  }
  if (process.env.CI === "true") {
    describe(name, () => {
      it("has a Chromium to run in", () => {
        throw new Error(`${name}: ${reason} (CI=true: browser suites must run, not skip)`);
      });
    });
    return;
  }
  console.warn(`[skipped] ${name}: ${reason}`);
  describe.skip(name, fn);
}

/** Launches the system Chromium headless, with the flags the project's CI uses. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** A page that records console errors and uncaught exceptions, so tests can assert there were none. */
export async function newPage(browser: Browser, size = { width: 1400, height: 1000 }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: size });
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console: ${msg.text()}`);
  });
  return { page, errors };
}

/** Saves a full-page screenshot as `test-artifacts/<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
