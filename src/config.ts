/**
 * The only reader of `process.env`. One zod schema turns the environment into a typed Config;
 * every bad or missing variable is reported at once, by name, and start-up stops.
 */
import { z } from "zod";

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ["true", "false", "1", "0", "yes", "no", "on", "off"].includes(v), {
    message: "expected true or false",
  })
  .transform((v) => ["true", "1", "yes", "on"].includes(v));

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const url = z.url({ protocol: /^https?$/ });
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();
const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .pipe(url.optional())
  .optional();
const logLevel = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: int(0, 65535).default(3000),
  HOST: optionalString,
  LOG_LEVEL: logLevel.default("info"),
  LOG_FORMAT: z.enum(["auto", "json", "pretty"]).default("auto"),
  BOT_NAME: z.string().min(1).default("Support Assistant"),
  SYSTEM_PROMPT: optionalString,

  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalUrl,
  OPENAI_MODEL: z.string().min(1).default("gpt-4o-mini"),
  OPENAI_MAX_RETRIES: int(0, 10).default(3),
  OPENAI_FIRST_TOKEN_TIMEOUT_MS: int(100).default(30_000),
  OPENAI_TOTAL_TIMEOUT_MS: int(1000).default(180_000),
  OPENAI_MAX_OUTPUT_TOKENS: int(16).default(1024),
  CONTEXT_TOKEN_BUDGET: int(256).default(8000),
  DEMO_FIRST_TOKEN_MS: int(0).default(250),
  DEMO_TOKEN_INTERVAL_MS: int(0).default(25),

  REDIS_URL: optionalString.pipe(
    z
      .string()
      .regex(/^rediss?:\/\//, "expected redis:// or rediss://")
      .optional(),
  ),
  REDIS_CLUSTER_NODES: optionalString,
  KEY_PREFIX: z.string().default("chatbot:"),

  HISTORY_MAX_TURNS: int(1, 1000).default(50),
  HISTORY_TTL_S: int(60).default(7 * 24 * 3600),
  DEDUP_TTL_S: int(600).default(600),
  THROTTLE_REQUESTS: int(1).default(10),
  THROTTLE_WINDOW_S: int(1).default(60),
  DAILY_TOKEN_BUDGET: int(1).default(200_000),
  MAX_INPUT_CHARS: int(100).default(8000),
  MAX_TOOL_ROUNDS: int(0, 20).default(4),
  MAX_PARALLEL_TOOL_CALLS: int(1, 32)
    .default(4)
    .describe(
      "Tool calls run at once per model round; further calls the model asks for in the same round get a 'not run' result it can retry in its next round. Default 4: a real question needs one or two lookups at a time, and a cap stops one message (or an instruction planted in a thread) from fanning out into dozens of backend calls.",
    ),
  TOOL_TIMEOUT_MS: int(100).default(10_000),
  LOCK_TTL_MS: int(1000).default(30_000),
  LOCK_WAIT_MS: int(0).default(120_000),
  SHUTDOWN_DEADLINE_MS: int(0).default(20_000),
  ORPHAN_SWEEP_INTERVAL_MS: int(100).default(30_000),

  WEB_CHAT: z.enum(["auto", "on", "off"]).default("auto"),

  SLACK_BOT_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_API_URL: url.default("https://slack.com/api/"),
  SLACK_THREAD_FOLLOWUPS: z.enum(["any", "mention"]).default("any"),
  SLACK_NATIVE_STREAMING: bool.default(true),
  SLACK_UPDATES_PER_MINUTE: int(1).default(50),
  // Slack refuses messages whose blocks hold more than ~12k characters (msg_blocks_too_long).
  SLACK_MAX_MESSAGE_CHARS: int(500, 10_000).default(3500),

  DISCORD_TOKEN: optionalString,
  DISCORD_APPLICATION_ID: optionalString,
  DISCORD_API_URL: url.default("https://discord.com/api"),
  DISCORD_GUILD_ID: optionalString,
  DISCORD_REPLY_MODE: z.enum(["thread", "inline"]).default("thread"),
  DISCORD_SHARD_IDS: optionalString.pipe(
    z
      .string()
      .regex(/^\d+(,\d+)*$/, "expected comma-separated shard numbers, e.g. 0,1")
      .optional(),
  ),
  DISCORD_SHARD_COUNT: int(1).optional(),
  DISCORD_GLOBAL_REQUESTS_PER_SECOND: int(1, 50).default(45),

  WEATHER_API_URL: url.default("https://api.open-meteo.com/v1/forecast"),
  GEOCODING_API_URL: url.default("https://geocoding-api.open-meteo.com/v1/search"),
  PRODUCTS_URL: optionalUrl,
  ORDERS_URL: optionalUrl,
  ORDER_LOOKUP_FAILURES_PER_HOUR: int(1).default(5),
});

/**
 * Rules between variables. Checked on the raw strings so they are reported together with
 * per-variable problems (zod skips object refinements once a field has failed).
 */
function relationProblems(raw: Record<string, string>): { name: string; message: string }[] {
  const problems: { name: string; message: string }[] = [];
  const has = (name: string) => raw[name] !== undefined;
  if (has("SLACK_BOT_TOKEN") && !has("SLACK_APP_TOKEN") && !has("SLACK_SIGNING_SECRET")) {
    problems.push({
      name: "SLACK_SIGNING_SECRET",
      message: "required with SLACK_BOT_TOKEN in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)",
    });
  }
  if ((has("SLACK_APP_TOKEN") || has("SLACK_SIGNING_SECRET")) && !has("SLACK_BOT_TOKEN")) {
    problems.push({ name: "SLACK_BOT_TOKEN", message: "required to enable Slack" });
  }
  if (has("DISCORD_TOKEN") && !has("DISCORD_APPLICATION_ID")) {
    problems.push({ name: "DISCORD_APPLICATION_ID", message: "required with DISCORD_TOKEN" });
  }
  if (has("DISCORD_SHARD_IDS") && !has("DISCORD_SHARD_COUNT")) {
    problems.push({ name: "DISCORD_SHARD_COUNT", message: "required with DISCORD_SHARD_IDS" });
  }
  const count = Number(raw.DISCORD_SHARD_COUNT);
  if (has("DISCORD_SHARD_IDS") && Number.isInteger(count) && count > 0) {
    const bad = (raw.DISCORD_SHARD_IDS ?? "")
      .split(",")
      .map(Number)
      .filter((id) => id >= count);
    if (bad.length > 0) {
      problems.push({
        name: "DISCORD_SHARD_IDS",
        message: `shard ${bad.join(",")} is not below DISCORD_SHARD_COUNT (${count})`,
      });
    }
  }
  return problems;
}

export type Env = z.infer<typeof schema>;

export interface Config {
  env: Env;
  /** No key and no base URL: the in-process offline demo model answers. */
  demoModel: boolean;
  slack: { mode: "http" | "socket" } | null;
  discord: { shardIds: number[] | null } | null;
  webChat: boolean;
  /**
   * Interface to listen on: HOST, or 127.0.0.1 while the web chat (which has no sign-in) is on,
   * else 0.0.0.0 (Slack's HTTP events must reach it; containers need it).
   */
  host: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parse an environment (normally `process.env`). Throws ConfigError listing every problem. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  // An empty value (`DISCORD_SHARD_COUNT=` copied from .env.example) means "not set".
  const present = Object.fromEntries(
    Object.entries(source).filter(([, v]) => v !== undefined && v.trim() !== ""),
  );
  const result = schema.safeParse(present);
  const issues = [
    ...(result.success
      ? []
      : result.error.issues.map((i) => ({ name: i.path.join(".") || "(environment)", message: i.message }))),
    ...relationProblems(present as Record<string, string>),
  ];
  if (!result.success || issues.length > 0) {
    const problems = issues.map(({ name, message }) => {
      const value = present[name];
      // Never echo a secret (or a URL that may carry a password) back.
      const shown =
        value === undefined ? "not set" : /KEY|TOKEN|SECRET|REDIS_URL/.test(name) ? "set" : `"${value}"`;
      return `${name}: ${message} (${shown})`;
    });
    throw new ConfigError(problems);
  }
  const env = result.data;
  const slack = env.SLACK_BOT_TOKEN
    ? { mode: env.SLACK_APP_TOKEN ? ("socket" as const) : ("http" as const) }
    : null;
  const discord = env.DISCORD_TOKEN
    ? { shardIds: env.DISCORD_SHARD_IDS ? env.DISCORD_SHARD_IDS.split(",").map(Number) : null }
    : null;
  const webChat = env.WEB_CHAT === "on" || (env.WEB_CHAT === "auto" && !slack && !discord);
  return {
    env,
    demoModel: !env.OPENAI_API_KEY && !env.OPENAI_BASE_URL,
    slack,
    discord,
    webChat,
    host: env.HOST ?? (webChat ? "127.0.0.1" : "0.0.0.0"),
  };
}
