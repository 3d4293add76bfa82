/**
 * Running Debian's Chromium headless under playwright-core (never a downloaded browser): the flags
 * that keep it quiet and offline, shared by the browser tests and `npm run docs:screenshot`.
 */
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
