/**
 * Runs the real service (src/main.ts) as a child process, as `npm start` would, with a given
 * environment; collects its log lines and finds the port it listens on.
 */
import { type ChildProcess, spawn } from "node:child_process";

export interface ServiceProcess {
  child: ChildProcess;
  /** Log lines (JSON objects when parseable) seen so far. */
  lines: string[];
  port: number;
  url: string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the first log line matching `pattern` (already seen or yet to come). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** Environment every test service starts from: quiet, JSON logs, nothing inherited but PATH. */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    LOG_FORMAT: "json",
    LOG_LEVEL: "info",
    PORT: "0",
    DEMO_FIRST_TOKEN_MS: "0",
    DEMO_TOKEN_INTERVAL_MS: "1",
    ...extra,
  };
}

export function spawnService(env: Record<string, string>): {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) if (line.trim() !== "") lines.push(line);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, lines, exited };
}

/** Start the service and wait until it logs the port it listens on (a hang detector: tsx compiles
 * src/ at start, which takes over 20 s on a busy two-core machine). */
export async function startService(env: Record<string, string>, timeoutMs = 60_000): Promise<ServiceProcess> {
  const { child, lines, exited } = spawnService(env);
  const deadline = Date.now() + timeoutMs;
  let port = 0;
  while (port === 0) {
    for (const line of lines) {
      const m = /"msg":"chatbot listening on port (\d+)"/.exec(line);
      if (m) port = Number(m[1]);
    }
    if (port) break;
    if (child.exitCode !== null) throw new Error(`service exited early:\n${lines.join("\n")}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`service did not start within ${timeoutMs} ms:\n${lines.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    lines,
    port,
    url: `http://127.0.0.1:${port}`,
    exited,
    waitForLine: (pattern, waitMs = 20_000) => waitForLine(child, lines, pattern, waitMs),
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Event-driven: checks the lines seen so far, then each new chunk of output (a hang detector bounds it). */
function waitForLine(
  child: ChildProcess,
  lines: string[],
  pattern: RegExp,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = lines.find((l) => pattern.test(l));
      if (found === undefined) return false;
      done();
      resolve(found);
      return true;
    };
    const onData = () => setImmediate(check);
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no log line matching ${pattern} within ${timeoutMs} ms:\n${lines.join("\n")}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    check();
  });
}
