/**
 * A Redis for tests: `redis-server` on a free loopback port in a temp dir (no persistence),
 * or the one in REDIS_URL when that is set (then stop/restart are unavailable and every run uses
 * its own key prefix, cleaned up by `deleteKeys`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { describeMissing, findRedisServer } from "./binaries.js";

/** How long a freshly spawned redis-server may take to answer PING. */
const START_TIMEOUT_MS = 10_000;

export interface TestRedis {
  url: string;
  port: number;
  /** False when REDIS_URL points at a server we did not start (stop/restart then reject). */
  managed: boolean;
  stop(): Promise<void>;
  /** Freeze the server (SIGSTOP): connections stay open but nothing answers, like a hung host. */
  pause(): Promise<void>;
  /** Let a paused server run again (SIGCONT). */
  resume(): Promise<void>;
  /** Start the server again on the same port, stopping it first if it runs (no data survives). */
  restart(): Promise<void>;
}

/** A key prefix no other test run uses. */
export function uniquePrefix(label = "test"): string {
  return `${label}:${process.pid}:${randomBytes(4).toString("hex")}:`;
}

/** True when tests run against an outside Redis (REDIS_URL), which they must not stop. */
export function usingExternalRedis(): boolean {
  return Boolean(process.env.REDIS_URL);
}

/** Throws the closing line's reason when redis-server (or redis-cli) is not on PATH. */
export function requireRedisServerBinary(): void {
  const redis = findRedisServer();
  if (!redis.path) throw new Error(`These tests need Redis: ${describeMissing(redis)}, or set REDIS_URL.`);
}

/** A loopback TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once a PING on `port` gets +PONG; rejects after `timeoutMs`. */
export async function waitForPong(port: number, timeoutMs = START_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pingOnce(port)) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

/** Spawn one redis-server; extra args are appended (cluster mode uses them). */
export function spawnRedisServer(port: number, dir: string, extraArgs: string[] = []): ChildProcess {
  const child = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      ...extraArgs,
    ],
    { stdio: "ignore" },
  );
  // A crashed test run must not leave servers behind.
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  child.once("exit", () => process.off("exit", kill));
  return child;
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || (child.signalCode !== null && child.signalCode !== "SIGSTOP")) return;
  await new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    // A paused server cannot act on SIGTERM until it runs again.
    child.kill("SIGCONT");
  });
}

export async function startRedis(): Promise<TestRedis> {
  const external = process.env.REDIS_URL;
  if (external) {
    const notManaged = async () => {
      throw new Error("cannot stop or restart the Redis in REDIS_URL");
    };
    return {
      url: external,
      port: Number(new URL(external).port || 6379),
      managed: false,
      stop: async () => {},
      restart: notManaged,
      pause: notManaged,
      resume: notManaged,
    };
  }
  requireRedisServerBinary();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "chatbot-redis-"));
  let child = spawnRedisServer(port, dir);
  await waitForPong(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    managed: true,
    async stop() {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
    async pause() {
      child.kill("SIGSTOP");
    },
    async resume() {
      child.kill("SIGCONT");
    },
    async restart() {
      await stopProcess(child);
      mkdirSync(dir, { recursive: true });
      child = spawnRedisServer(port, dir);
      await waitForPong(port);
    },
  };
}

/** Delete every key under `prefix` (only keys this run created). */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    client.disconnect();
  }
}
