import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { repoRoot } from "../dev/sandbox/launcher-process.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOT_DIR = path.join(repoRoot, "screenshots", "e2e");

/**
 * Debian's Chromium, headless, with nothing reaching out to Google's servers.
 * Playwright gives every launch a fresh temporary --user-data-dir and adds --headless itself.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"],
  });
}

/** Saves a full-page screenshot as screenshots/e2e/<name>.png (the folder is git-ignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
