/**
 * `npm run feedback:export`: every rating still kept, as JSON Lines for evaluation, read from the
 * store the environment points at (REDIS_URL or REDIS_CLUSTER_NODES, KEY_PREFIX; a .env file in
 * the working directory is read as by the service). One line per rating, oldest rating first;
 * the format is in docs/feedback.md. Writes to stdout, or to `--out FILE`.
 *
 * Without Redis there is nothing to export from here: the service then keeps ratings in its own
 * process memory (the in-memory store), which no other process can read.
 */
import { existsSync } from "node:fs";
import { open } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { ConfigError, loadConfig } from "../config.js";
import type { FeedbackStore } from "../core/feedback/store.js";
import type { FeedbackRecord } from "../core/feedback/types.js";
import { createLogger } from "../log.js";
import { createRedisStore } from "../store/redis/store.js";

export const USAGE = "Usage: npm run feedback:export [-- --out FILE]";

export const NO_REDIS_MESSAGE =
  "Nothing to export: neither REDIS_URL nor REDIS_CLUSTER_NODES is set. Without Redis the service keeps " +
  "ratings in its own process memory (the in-memory store), which no other process can read, and loses " +
  "them when it stops. Run the service with REDIS_URL and export with the same REDIS_URL and KEY_PREFIX.";

/** One exported line: the rating and the turn it rates. Times are ISO 8601 (UTC). */
export interface ExportLine {
  rating: FeedbackRecord["rating"];
  reason: string | null;
  ratedAt: string;
  platform: FeedbackRecord["platform"];
  conversation: FeedbackRecord["conversation"];
  turnId: string;
  question: string;
  answer: string;
  toolCalls: FeedbackRecord["toolCalls"];
  model: string;
  tokens: FeedbackRecord["tokens"];
  answeredAt: string;
}

/**
 * The evaluation view of a rating. The asker's user key is left out: an evaluation needs the
 * exchange, not who it was (the conversation reference still locates it for a support team).
 */
export function exportLine(r: FeedbackRecord): ExportLine {
  return {
    rating: r.rating,
    reason: r.reason ?? null,
    ratedAt: new Date(r.ratedAt).toISOString(),
    platform: r.platform,
    conversation: r.conversation,
    turnId: r.turnId,
    question: r.question,
    answer: r.answer,
    toolCalls: r.toolCalls,
    model: r.model,
    tokens: r.tokens,
    answeredAt: new Date(r.answeredAt).toISOString(),
  };
}

/** Write every rating as one JSON line each; returns how many were written. */
export async function exportFeedback(
  feedback: FeedbackStore,
  write: (chunk: string) => Promise<void>,
): Promise<number> {
  let count = 0;
  for await (const record of feedback.all()) {
    await write(`${JSON.stringify(exportLine(record))}\n`);
    count++;
  }
  return count;
}

export function parseArgs(argv: string[]): { out?: string } | { help: true } | { error: string } {
  const args: { out?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") return { help: true };
    if (arg === "--out" || arg === "-o") {
      const file = argv[++i];
      if (!file) return { error: "--out needs a file name" };
      args.out = file;
    } else if (arg?.startsWith("--out=")) {
      args.out = arg.slice("--out=".length);
    } else {
      return { error: `unknown argument ${arg}` };
    }
  }
  return args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if ("help" in args) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if ("error" in args) {
    process.stderr.write(`${args.error}\n${USAGE}\n`);
    return 2;
  }
  if (existsSync(".env")) process.loadEnvFile(".env");
  let env: ReturnType<typeof loadConfig>["env"];
  try {
    env = loadConfig().env;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (!env.REDIS_URL && !env.REDIS_CLUSTER_NODES) {
    process.stderr.write(`${NO_REDIS_MESSAGE}\n`);
    return 2;
  }
  // Logs go to stderr: stdout is the export.
  const log = createLogger({
    level: env.LOG_LEVEL === "info" ? "warn" : env.LOG_LEVEL,
    format: "json",
    destination: process.stderr,
  });
  const store = await createRedisStore({
    ...(env.REDIS_URL ? { url: env.REDIS_URL } : {}),
    ...(env.REDIS_CLUSTER_NODES ? { clusterNodes: env.REDIS_CLUSTER_NODES } : {}),
    prefix: env.KEY_PREFIX,
    log,
  });
  const file = args.out ? await open(args.out, "w") : null;
  try {
    const write = file
      ? async (chunk: string) => void (await file.write(chunk))
      : (chunk: string) =>
          new Promise<void>((resolve, reject) =>
            process.stdout.write(chunk, (err) => (err ? reject(err) : resolve())),
          );
    const count = await exportFeedback(store.feedback, write);
    process.stderr.write(
      `Exported ${count} rating${count === 1 ? "" : "s"}${args.out ? ` to ${args.out}` : ""}.\n`,
    );
    return 0;
  } finally {
    await file?.close();
    await store.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
