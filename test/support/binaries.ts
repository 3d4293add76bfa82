/**
 * The one place that decides which optional programs the tests can use: `redis-server` (a Redis
 * for the store, replica and fault suites; `REDIS_URL` stands in for suites that only need a Redis
 * to talk to) and Chromium (the web chat's browser test).
 *
 * Without a program, the suites that need it are skipped and the skip reporter prints one closing
 * line naming it and the command that installs it. With `CI=true` nothing is optional: a suite
 * whose program is missing fails at collection with the same message.
 *
 * `.ci/run` asks this file too (`node --import tsx test/support/binaries.ts`), so CI installs
 * exactly what the tests would otherwise skip.
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";

/** What a suite needs beyond Node. */
export type Need =
  /** A Redis to talk to: the one in REDIS_URL, or a redis-server the test starts. */
  | "redis"
  /** The redis-server and redis-cli programs themselves (to restart a server or build a cluster). */
  | "redis-server"
  | "chromium";

/** A program the tests may use, as found on this machine. */
export interface Program {
  name: "redis-server" | "chromium";
  /** Absolute path, or undefined when not found. */
  path: string | undefined;
  /** Why it was not found, for the closing line ("redis-server not found"). */
  missing: string;
  /** The Debian/Ubuntu package that provides it. */
  package: string;
  /** The command that installs it on Debian/Ubuntu. */
  install: string;
}

/** PATH names tried for Chromium after CHROME_PATH, in this order. */
export const CHROMIUM_NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

const PACKAGE = { "redis-server": "redis-server", chromium: "chromium" } as const;
const install = (name: keyof typeof PACKAGE) => ({
  package: PACKAGE[name],
  install: `sudo apt-get install ${PACKAGE[name]}`,
});

type Env = Record<string, string | undefined>;

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The first executable `name` in the directories of PATH, like `command -v`. */
export function findOnPath(name: string, env: Env = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

export function findRedisServer(env: Env = process.env): Program {
  const server = findOnPath("redis-server", env);
  // The cluster suite joins its nodes with redis-cli; Debian ships both in redis-server's packages.
  const cli = findOnPath("redis-cli", env);
  return {
    name: "redis-server",
    path: server && cli ? server : undefined,
    missing: server ? "redis-cli not found" : "redis-server not found",
    ...install("redis-server"),
  };
}

/** Chromium from CHROME_PATH, else the first of CHROMIUM_NAMES on PATH. */
export function findChromium(env: Env = process.env): Program {
  const program = { name: "chromium" as const, ...install("chromium") };
  const configured = env.CHROME_PATH;
  if (configured) {
    // A CHROME_PATH that is set but wrong is reported, not silently replaced by another browser.
    return isExecutableFile(configured)
      ? { ...program, path: configured, missing: "" }
      : { ...program, path: undefined, missing: `CHROME_PATH=${configured} is not an executable file` };
  }
  for (const name of CHROMIUM_NAMES) {
    const path = findOnPath(name, env);
    if (path) return { ...program, path, missing: "" };
  }
  return { ...program, path: undefined, missing: "chromium not found" };
}

/** The programs a set of needs calls for that this machine lacks. */
export function missingFor(needs: Need[], env: Env = process.env): Program[] {
  const missing: Program[] = [];
  const redis = findRedisServer(env);
  const wantsServer = needs.includes("redis-server") || (needs.includes("redis") && !env.REDIS_URL);
  if (wantsServer && !redis.path) missing.push(redis);
  if (needs.includes("chromium")) {
    const chromium = findChromium(env);
    if (!chromium.path) missing.push(chromium);
  }
  return missing;
}

/** "redis-server not found (install: sudo apt-get install redis-server)" */
export function describeMissing(program: Pick<Program, "missing" | "install">): string {
  return `${program.missing} (install: ${program.install})`;
}

/** CI=true (any value but empty, "false" or "0", as CI services set it) makes every program required. */
export function isCi(env: Env = process.env): boolean {
  return Boolean(env.CI) && env.CI !== "false" && env.CI !== "0";
}

/** Marks the error that fails a suite under CI=true, so the skip reporter can count it. */
export const CI_REQUIRED = "CI=true requires every program the tests use";

declare module "vitest" {
  interface TaskMeta {
    /** Set by `requires()` on a suite skipped for a missing program: one describeMissing() each. */
    missingPrograms?: string[];
  }
}

/**
 * Options for `describe(title, requires("redis"), () => ...)`: skipped (with the reason in the
 * suite's meta, for the closing line) when a program is missing; under CI=true, throws instead.
 */
export function requires(...needs: Need[]): { skip: boolean; meta: { missingPrograms: string[] } } {
  const missing = missingFor(needs).map(describeMissing);
  if (missing.length > 0 && isCi()) {
    throw new Error(`${CI_REQUIRED}: ${missing.join(", ")}`);
  }
  return { skip: missing.length > 0, meta: { missingPrograms: missing } };
}

/** The path of Chromium for playwright's executablePath (call only when the suite is not skipped). */
export function chromiumPath(): string {
  const chromium = findChromium();
  if (!chromium.path) throw new Error(describeMissing(chromium));
  return chromium.path;
}

// `node --import tsx test/support/binaries.ts` (.ci/run): one line per missing program,
// "<Debian package> TAB <reason>", exit 0. Prints nothing when everything is there.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const program of missingFor(["redis-server", "chromium"])) {
    process.stdout.write(`${program.package}\t${program.missing}\n`);
  }
}
