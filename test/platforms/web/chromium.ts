/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser), for tests that need
 * the real page: its CSP, its scripts from our asset routes, a real DOM for DOMPurify.
 */
import { existsSync } from "node:fs";

export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** Under CI the browser must be there (.ci/run installs it): a missing one fails the launch. */
export const skipWithoutChromium = !existsSync(CHROMIUM) && !process.env.CI;

/** A suite title that says why it was skipped. */
export function chromiumSuiteTitle(name: string): string {
  return skipWithoutChromium
    ? `${name} (SKIPPED: ${CHROMIUM} is missing; install it with apt-get install chromium)`
    : name;
}
