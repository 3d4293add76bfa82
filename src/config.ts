/**
 * The only reader of `process.env`. One zod schema turns the environment into a typed Config;
 * every bad or missing variable is reported at once, by name, and start-up stops.
 */
import { statSync } from "node:fs";
import { z } from "zod";
import { REDACT_KINDS } from "./core/redaction/detectors.js";
import { HOST_NAME_PATTERN } from "./http/hosts.js";
import { DEFAULT_HISTORY_CACHE_MB } from "./store/history.js";
import { parseSecretKeys } from "./store/secret-box.js";

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
/** Whether `path` is a folder that exists now (checked once, at start). */
function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .pipe(url.optional())
  .optional();
const logLevel = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

export const schema = z.object({
  // --- Service
  NODE_ENV: z
    .enum(["development", "production", "test"])
    .default("development")
    .describe("Runtime mode. The image sets `production`."),
  PORT: int(0, 65535)
    .default(3000)
    .describe(
      "Port of the one HTTP server: `/slack/events`, `/healthz`, `/readyz`, `/metrics` and the web chat. " +
        "`0` picks a free port (tests).",
    ),
  HOST: optionalString.describe(
    "Interface to listen on. Unset: `127.0.0.1` while the web chat is on (it has no sign-in), else " +
      "`0.0.0.0` (Slack's HTTP events and containers need it). Leave it out of env files rather than " +
      "empty, so the image's `HOST=0.0.0.0` stays in force.",
  ),
  LOG_LEVEL: logLevel
    .default("info")
    .describe("pino log level. Message text is logged only at `debug`; `info` logs ids, sizes and timings."),
  LOG_FORMAT: z
    .enum(["auto", "json", "pretty"])
    .default("auto")
    .describe(
      "`auto`: pretty in a terminal, JSON otherwise. `pretty` needs pino-pretty (a dev dependency, not " +
        "in the image, where the logs stay JSON).",
    ),
  BOT_NAME: z
    .string()
    .min(1)
    .default("Support Assistant")
    .describe("The assistant's name in its system prompt."),
  SYSTEM_PROMPT: optionalString.describe(
    "Replaces the built-in support-assistant system prompt. Unset: the built-in one.",
  ),
  POLICY_FILE: optionalString.describe(
    "Path of the policy file (YAML, docs/policy.md): per platform, workspace or guild, channel and " +
      "user: where the bot answers, DM and follow-up modes, an extra system prompt, the model, tools, " +
      "per-user limits, history retention, admins. Reloaded on change. Unset: no policy, every channel " +
      "the same.",
  ),

  // --- Model
  OPENAI_API_KEY: optionalString.describe(
    "OpenAI API key. With neither this nor `OPENAI_BASE_URL` set, an offline demo model inside the " +
      "process answers (canned replies and tool calls), announced loudly in the log.",
  ),
  OPENAI_BASE_URL: optionalUrl.describe(
    "Any OpenAI-compatible server instead of OpenAI (Ollama, vLLM, LM Studio, a gateway), including " +
      "`/v1`. Unset: OpenAI.",
  ),
  OPENAI_MODEL: z
    .string()
    .min(1)
    .default("gpt-4o-mini")
    .describe(
      "Chat model. Also picks the tokenizer: `o200k_base` for gpt-4o/4.1/5 and the o-series, " +
        "`cl100k_base` for gpt-4/3.5.",
    ),
  OPENAI_MAX_RETRIES: int(0, 10)
    .default(3)
    .describe(
      "Retries of 429, 5xx and connection errors before the first token (never after it, never for " +
        "400/401/403).",
    ),
  OPENAI_FIRST_TOKEN_TIMEOUT_MS: int(100)
    .default(30_000)
    .describe("Milliseconds to wait for the model's first token before giving up on a request."),
  OPENAI_TOTAL_TIMEOUT_MS: int(1000)
    .default(180_000)
    .describe("Milliseconds an answer may take in total before it is cut off with a note."),
  OPENAI_MAX_OUTPUT_TOKENS: int(16).default(1024).describe("Longest answer, in tokens."),
  CONTEXT_TOKEN_BUDGET: int(256)
    .default(8000)
    .describe(
      "Tokens of system prompt + history + new message sent per request, counted with the model's " +
        "tokenizer; the oldest turns are dropped first, and a tool call is never separated from its results. " +
        "Files attached to the message have their own allowance on top (ATTACHMENT_TOKEN_BUDGET).",
    ),
  ATTACHMENT_TOKEN_BUDGET: int(0)
    .default(40_000)
    .describe(
      "Tokens the files attached to one message may take in a request, on top of CONTEXT_TOKEN_BUDGET " +
        "(so a screenshot never pushes the conversation out). One high-detail 1024x768 screenshot costs " +
        "about 765 tokens on gpt-4o and 25,500 on gpt-4o-mini (full HD: 1,105 and 36,835) (OpenAI counts that model's images higher); " +
        "files beyond the allowance go at low detail, cut shorter, or not at all, and the answer says so. " +
        "Counted in DAILY_TOKEN_BUDGET like any input (docs/attachments.md).",
    ),
  DEMO_FIRST_TOKEN_MS: int(0)
    .default(250)
    .describe("Offline demo model: milliseconds before its first token (so streaming is visible)."),
  DEMO_TOKEN_INTERVAL_MS: int(0).default(25).describe("Offline demo model: milliseconds between tokens."),

  // --- Store
  REDIS_URL: optionalString
    .pipe(
      z
        .string()
        .regex(/^rediss?:\/\//, "expected redis:// or rediss://")
        .optional(),
    )
    .describe(
      "Redis (`redis://`, or `rediss://` for TLS). Unset: the in-memory store, for one process only and " +
        "lost on restart. More than one replica requires Redis. A secret: it may carry the password.",
    ),
  REDIS_CLUSTER_NODES: optionalString.describe(
    "Redis Cluster seed nodes instead of `REDIS_URL`, comma-separated, e.g. `10.0.0.1:6379,10.0.0.2:6379`.",
  ),
  KEY_PREFIX: z
    .string()
    .default("chatbot:")
    .describe("Prefix of every Redis key this service writes, so several deployments can share one Redis."),
  MEMORY_STORE_MAX_KEYS: int(100)
    .default(10_000)
    .describe(
      "Keys the in-memory store (no REDIS_URL) holds at most. Beyond it the least recently used " +
        "conversation histories and cached embeddings are forgotten (logged); locks, dedup marks " +
        "and limits never are. " +
        "10,000 keeps a small pod's memory bounded even when clients open endless new sessions.",
    ),
  HISTORY_MAX_TURNS: int(1, 1000).default(50).describe("Turns kept per thread; older ones are dropped."),
  HISTORY_CACHE_MB: int(0, 4096)
    .default(DEFAULT_HISTORY_CACHE_MB)
    .describe(
      "Memory (MB, about) for the parsed histories of threads read in the last 15 minutes, so a " +
        "thread's next turn parses and serializes only its newest turns. Entries are matched by " +
        "the stored text, so what Redis holds is always what is used. 0: off.",
    ),
  HISTORY_TTL_S: int(60)
    .default(7 * 24 * 3600)
    .describe("Seconds a thread's history is remembered after its last turn (7 days)."),
  FEEDBACK_TTL_DAYS: int(1, 3650)
    .default(30)
    .describe(
      "Days a rating (thumbs up/down on an answer, with the rated turn) is kept for `npm run feedback:export`. " +
        "An answer can be rated while its thread's history lives (`HISTORY_TTL_S`).",
    ),
  DEDUP_TTL_S: int(600)
    .default(600)
    .describe(
      "Seconds a platform message id is remembered to drop redeliveries. At least 600: Slack retries for " +
        "up to about 5 minutes.",
    ),

  // --- Limits
  THROTTLE_REQUESTS: int(1)
    .default(10)
    .describe(
      "Messages each user may send in any `THROTTLE_WINDOW_S` seconds (a sliding window, so a burst is " +
        "fine). Over it, one short notice says when to try again, with no model call.",
    ),
  THROTTLE_WINDOW_S: int(1).default(60).describe("Length of the per-user throttle window, in seconds."),
  DAILY_TOKEN_BUDGET: int(1)
    .default(200_000)
    .describe("Model tokens (in + out) each user may use per UTC day, across all replicas."),
  MAX_INPUT_CHARS: int(100)
    .default(8000)
    .describe(
      "Longer messages are refused with a notice, not truncated: half a question gets a wrong answer.",
    ),
  MAX_TOOL_ROUNDS: int(0, 20)
    .default(4)
    .describe("Rounds of tool calls per answer; the last round must answer with what it has."),
  REDACT_BEFORE_MODEL: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((k) => k.trim().toLowerCase())
        .filter((k) => k !== ""),
    )
    .pipe(z.array(z.enum(REDACT_KINDS, { error: "expected a comma list of emails, phones, cards" })))
    .transform((kinds) => [...new Set(kinds)])
    .describe(
      "Comma list of `emails`, `phones`, `cards`: such values are replaced by placeholders (`[email 1]`) " +
        "in everything sent to the model and put back in tool arguments and in the answer; histories keep " +
        "the originals. Cards are Luhn-checked; phones are international (+...) or common national formats. " +
        "Empty: off. See docs/privacy.md.",
    ),
  MAX_PARALLEL_TOOL_CALLS: int(1, 32)
    .default(4)
    .describe(
      "Tool calls run at once per model round; further calls the model asks for in the same round get a 'not run' result it can retry in its next round. Default 4: a real question needs one or two lookups at a time, and a cap stops one message (or an instruction planted in a thread) from fanning out into dozens of backend calls.",
    ),
  TOOL_TIMEOUT_MS: int(100)
    .default(10_000)
    .describe(
      "Milliseconds one tool call may take; then its HTTP request is aborted and the model gets a " +
        "`timeout` error (and is told not to guess).",
    ),
  LOCK_TTL_MS: int(1000)
    .default(30_000)
    .describe(
      "Per-thread lock lifetime in milliseconds, renewed every third of it while answering. A process " +
        "that dies frees its threads after at most this long.",
    ),
  LOCK_WAIT_MS: int(0)
    .default(120_000)
    .describe(
      "Milliseconds a second message in the same thread waits for the first answer to finish; after " +
        'that it gets a "still working on your earlier message" notice.',
    ),
  SHUTDOWN_DEADLINE_MS: int(0)
    .default(20_000)
    .describe(
      "Milliseconds running answers get to finish on SIGTERM before they are stopped with a notice. " +
        "Keep Kubernetes' `terminationGracePeriodSeconds` above preStop sleep + this + a margin.",
    ),
  HTTP_MAX_CONNECTIONS: int(1)
    .default(256)
    .describe(
      "Open HTTP connections the server accepts at once; more are dropped as they arrive. Each may be " +
        "buffering a request body (up to 1 MB for Slack), so 256 stays well inside a 640 Mi pod.",
    ),
  HTTP_MAX_CONNECTIONS_PER_IP: int(1)
    .default(64)
    .describe(
      "Open HTTP connections one remote address may hold at once; more are closed as they arrive. A " +
        "quarter of HTTP_MAX_CONNECTIONS, so one client cannot take every slot; behind a proxy that " +
        "forwards everything from one address, raise it to HTTP_MAX_CONNECTIONS.",
    ),
  ORPHAN_SWEEP_INTERVAL_MS: int(100)
    .default(30_000)
    .describe(
      "How often (ms) each replica looks for answers left unfinished by a process that died; such a " +
        "message is finalized with a notice once its thread lock (`LOCK_TTL_MS`) has expired.",
    ),

  WEB_CHAT: z
    .enum(["auto", "on", "off"])
    .default("auto")
    .describe(
      "Local web chat at `GET /`. `auto`: on only when neither Slack nor Discord is configured. It has " +
        "no sign-in: never expose it to the internet. `off` with no platform configured is refused at " +
        "start (nothing to serve).",
    ),
  WEB_ALLOWED_HOSTS: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((h) => h.trim().toLowerCase())
        .filter((h) => h !== ""),
    )
    .pipe(
      z.array(
        z
          .string()
          .regex(
            HOST_NAME_PATTERN,
            "expected comma-separated host names without port, e.g. chat.lan,192.168.1.20",
          ),
      ),
    )
    .describe(
      "Host names (comma-separated, no port) the web chat answers to besides localhost, 127.0.0.1 and " +
        "[::1], e.g. the LAN name or address you open it by. Requests naming any other host are refused " +
        "(403), so a DNS-rebinding web page cannot reach the chat or, while it is on, /metrics.",
    ),

  // --- Attachments
  MODEL_VISION: z
    .enum(["auto", "on", "off"])
    .default("auto")
    .describe(
      "Whether OPENAI_MODEL accepts images. `auto`: yes for OpenAI's vision models (gpt-4o, gpt-4.1, gpt-4.5, gpt-5, gpt-4-turbo, o1, o3, o4-mini and their variants) and the offline demo model, no for other names (a model behind Ollama or vLLM: set `on` if it takes images). Without vision an attached image gets a one-line notice instead.",
    ),
  MAX_ATTACHMENTS: int(0, 20)
    .default(4)
    .describe(
      "Files read per message (screenshots, logs, PDFs); each further file gets a one-line notice. 0: no file is read.",
    ),
  MAX_ATTACHMENT_BYTES: int(1024, 50 * 1024 * 1024)
    .default(10 * 1024 * 1024)
    .describe(
      "Largest file read, in bytes (default 10 MiB), counted while downloading whatever size the platform declared; a larger file gets a one-line notice.",
    ),
  MAX_IMAGE_PIXELS: int(10_000, 50_000_000)
    .default(2_000_000)
    .describe(
      "Images are scaled down to at most this many pixels (and re-encoded within 1.5 MB) before the model sees them. OpenAI reduces a high-detail image to 768 px on its short side anyway, so ~2 MP keeps screenshot text legible without uploading more than is used.",
    ),
  ATTACHMENT_TEXT_TOKENS: int(100, 100_000)
    .default(4_000)
    .describe(
      "Tokens of one text file or PDF given to the model; the rest is cut, and the answer says so. Counted in ATTACHMENT_TOKEN_BUDGET with the message's other files.",
    ),
  ATTACHMENT_TIMEOUT_MS: int(1000, 300_000)
    .default(20_000)
    .describe("Milliseconds one attached file may take to download; then it gets a one-line notice."),

  // --- Slack: single-workspace mode (SLACK_BOT_TOKEN, HTTP or Socket Mode) or OAuth mode
  // (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET, SECRETS_KEY; HTTP only).
  SLACK_BOT_TOKEN: optionalString.describe(
    "Single-workspace mode: the Bot User OAuth Token (`xoxb-...`); enables Slack. Unset (and no " +
      "`SLACK_CLIENT_ID`): Slack off.",
  ),
  SLACK_SIGNING_SECRET: optionalString.describe(
    "Verifies every request to `POST /slack/events`. Required over HTTP: with `SLACK_BOT_TOKEN` " +
      "(unless `SLACK_APP_TOKEN`) and in OAuth mode.",
  ),
  SLACK_APP_TOKEN: optionalString.describe(
    "App-Level Token (`xapp-...`, scope `connections:write`): Socket Mode instead of HTTP, no public " +
      "URL needed (single-workspace mode only). Unset: HTTP.",
  ),
  SLACK_CLIENT_ID: optionalString.describe(
    "OAuth mode (install to many workspaces, docs/slack-install.md): the app's Client ID (Basic " +
      "Information -> App Credentials). Enables Slack with `GET /slack/install` and " +
      "`GET /slack/oauth_redirect`; needs `SLACK_CLIENT_SECRET`, `SLACK_STATE_SECRET`, `SECRETS_KEY` " +
      "and `SLACK_SIGNING_SECRET`. Not with `SLACK_BOT_TOKEN` (single-workspace mode) or `SLACK_APP_TOKEN`.",
  ),
  SLACK_CLIENT_SECRET: optionalString.describe(
    "OAuth mode: the app's Client Secret, sent only to `oauth.v2.access` to exchange an install's code.",
  ),
  SLACK_STATE_SECRET: optionalString
    .pipe(z.string().min(16, "expected at least 16 characters (e.g. openssl rand -hex 32)").optional())
    .describe(
      "OAuth mode: signs the install flow's state (checked on the redirect, with a browser cookie, " +
        "valid 10 minutes), so no one can complete an install they did not start. Same on every " +
        "replica. At least 16 characters.",
    ),
  SECRETS_KEY: optionalString
    .superRefine((value, ctx) => {
      if (value === undefined) return;
      try {
        parseSecretKeys(value);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: err instanceof Error ? err.message : String(err) });
      }
    })
    .describe(
      "OAuth mode: encrypts stored installations (bot tokens) with AES-256-GCM. A 32-byte key in base64 " +
        "or hex (`openssl rand -base64 32`), or a comma-separated list for rotation: the first encrypts, " +
        "all decrypt, and start-up re-encrypts records sealed with a later one (docs/slack-install.md).",
    ),
  SLACK_API_URL: url
    .default("https://slack.com/api/")
    .describe("Base URL of the Slack Web API (a proxy, or a local fake in tests)."),
  SLACK_THREAD_FOLLOWUPS: z
    .enum(["any", "mention"])
    .default("any")
    .describe(
      "`any`: every later message in a thread the bot answered continues the conversation; `mention`: " +
        "only new mentions (for busy threads where people also talk to each other).",
    ),
  SLACK_NATIVE_STREAMING: bool
    .default(true)
    .describe(
      "Use `chat.startStream`/`appendStream`/`stopStream` for thread replies where Slack offers them; " +
        "`false` gives every answer message edits and a Stop button.",
    ),
  SLACK_CHAT_UPDATE_PER_MINUTE: int(1)
    .default(50)
    .describe(
      "chat.update calls per minute per workspace, shared by all replicas (Slack Tier 3: 50+ per " +
        "minute). Edits of answers shown as ordinary messages, and their final texts, draw on it.",
    ),
  SLACK_UPDATES_PER_MINUTE: int(1)
    .optional()
    .describe("Deprecated: the old name of SLACK_CHAT_UPDATE_PER_MINUTE, read only when that is not set."),
  SLACK_APPEND_STREAM_PER_MINUTE: int(1)
    .default(100)
    .describe(
      "chat.appendStream calls per minute per workspace, shared by all replicas (Slack Tier 4: " +
        "100+ per minute). Each call shows the newest words of a natively streamed answer.",
    ),
  SLACK_START_STREAM_PER_MINUTE: int(1)
    .default(20)
    .describe(
      "chat.startStream calls per minute per workspace, shared by all replicas (Tier 2, 20+ per " +
        "minute, assumed like chat.stopStream). Answers beyond it are shown as edited messages.",
    ),
  SLACK_STOP_STREAM_PER_MINUTE: int(1)
    .default(20)
    .describe(
      "chat.stopStream calls per minute per workspace, shared by all replicas (Slack Tier 2: 20+ " +
        "per minute). A stream is opened only when its stop can be booked, so final texts never wait.",
    ),
  SLACK_POST_INTERVAL_MS: int(0)
    .default(1000)
    .describe(
      "Minimum milliseconds between two chat.postMessage calls in one channel, all replicas " +
        "together (Slack allows about 1 message per second per channel).",
    ),
  SLACK_MAX_MESSAGE_CHARS: int(500, 10_000)
    .default(3500)
    .describe(
      "Longest answer part per message before it continues in a new one. At most 10,000: Slack refuses " +
        "messages whose blocks hold more than about 12,000 characters (`msg_blocks_too_long`).",
    ),

  // --- Discord
  DISCORD_TOKEN: optionalString.describe(
    "Bot token (Developer Portal -> Bot -> Reset Token); enables Discord. Unset: Discord off.",
  ),
  DISCORD_APPLICATION_ID: optionalString.describe(
    "Application id (Developer Portal -> General Information). Required with `DISCORD_TOKEN`.",
  ),
  DISCORD_API_URL: url
    .default("https://discord.com/api")
    .describe(
      "Base URL of the Discord REST API; the gateway URL is read from `GET /gateway/bot` there (tests " +
        "point it at a local fake).",
    ),
  DISCORD_GUILD_ID: optionalString.describe(
    "`npm run discord:register` registers the slash commands in this server only (takes effect at " +
      "once). Unset: globally.",
  ),
  DISCORD_REPLY_MODE: z
    .enum(["thread", "inline"])
    .default("thread")
    .describe(
      "`thread`: a mention opens a thread on the message and answers there; `inline`: answers as a " +
        "reply in the channel, and replies to the bot continue.",
    ),
  DISCORD_SHARD_IDS: optionalString
    .pipe(
      z
        .string()
        .regex(/^\d+(,\d+)*$/, "expected comma-separated shard numbers, e.g. 0,1")
        .optional(),
    )
    .describe(
      "Shards this replica runs, comma-separated (e.g. `0,1`); needs `DISCORD_SHARD_COUNT`. Unset: all " +
        "shards in this process.",
    ),
  DISCORD_SHARD_COUNT: int(1)
    .optional()
    .describe("Total shards across all replicas. Unset: Discord's recommendation."),
  DISCORD_GLOBAL_REQUESTS_PER_SECOND: int(1, 50)
    .default(45)
    .describe(
      "Discord REST requests per second for the whole bot, shared by all replicas through the " +
        "store (Discord's global limit is 50 per second; 45 leaves room for latency jitter).",
    ),

  // --- Tools
  WEATHER_API_URL: url
    .default("https://api.open-meteo.com/v1/forecast")
    .describe("Open-Meteo forecast endpoint (no key needed)."),
  GEOCODING_API_URL: url
    .default("https://geocoding-api.open-meteo.com/v1/search")
    .describe("Open-Meteo geocoding search endpoint."),
  PRODUCTS_URL: optionalUrl.describe(
    "Product search backend (JSON contract in docs/tools.md). Unset: the bundled catalog.",
  ),
  ORDERS_URL: optionalUrl.describe(
    "Order backend base URL (JSON contract in docs/tools.md). Unset: the bundled sample orders.",
  ),
  ORDER_LOOKUP_FAILURES_PER_HOUR: int(1)
    .default(5)
    .describe(
      "Failed order lookups (wrong id or email) a chat user may make per hour before every lookup by " +
        "them is refused.",
    ),

  // --- Knowledge base
  KNOWLEDGE_DIR: optionalString
    // A wrong path would keep /readyz at "failed" until a restart: refuse it at start instead.
    .refine((dir) => dir === undefined || isFolder(dir), "no folder at this path")
    .describe(
      "Folder of help articles (Markdown with front matter, or HTML) that search_help_center answers from; re-indexed when files change. It must exist at start (else start-up stops); if it disappears later, the last index keeps answering. Unset: the bundled sample help center of the demo store.",
    ),
  EMBEDDINGS_MODEL: optionalString.describe(
    "Embeddings model at OPENAI_BASE_URL (e.g. text-embedding-3-small); when set, help-center search fuses BM25 with embedding similarity. Unset: BM25 full-text search only, no embeddings cost.",
  ),
  EMBEDDINGS_CACHE_TTL_S: int(60)
    .default(30 * 24 * 3600)
    .describe(
      "Seconds a help-passage embedding stays cached in the store (by content hash). 30 days by default: text rarely changes, and an unchanged passage is never paid for twice while cached.",
    ),

  // --- Hand-off to the support team (docs/handoff.md)
  HANDOFF_SLACK_CHANNEL: z
    .string()
    .regex(/^[CG][A-Z0-9]{2,}$/, "expected a Slack channel id such as C0123ABCD (not a #name)")
    .optional()
    .describe(
      "Slack channel id where the team gets hand-offs from every platform (the bot must be a member). Set at most one team channel.",
    ),
  HANDOFF_SLACK_TEAM_ID: z
    .string()
    .regex(/^[TE][A-Z0-9]{2,}$/, "expected a Slack team id such as T0123ABCD")
    .optional()
    .describe(
      "Slack OAuth mode only: the workspace (team id, or E... for an org-wide install) whose installation posts in HANDOFF_SLACK_CHANNEL. Required there with HANDOFF_SLACK_CHANNEL; single-workspace mode uses its one workspace.",
    ),
  HANDOFF_DISCORD_CHANNEL: z
    .string()
    .regex(/^\d{17,20}$/, "expected a Discord channel id (a snowflake such as 1234567890123456789)")
    .optional()
    .describe(
      "Discord text channel id where the team gets hand-offs from every platform (the bot needs Send Messages, Create Public Threads, Read Message History). Set at most one team channel.",
    ),
  HANDOFF_FALLBACK_TEXT: z
    .string()
    .max(1000)
    .default(
      "I can't bring a person into this chat right now. Please contact our support team through the contact page of the help center.",
    )
    .describe(
      "What Slack and Discord customers are told when they ask for a person and no team channel is set (the web chat uses the local team page `/team` instead).",
    ),
  HANDOFF_TTL_S: int(60)
    .default(7 * 24 * 3600)
    .describe(
      "Seconds a hand-off may stay open or claimed: after that it goes back to the assistant, telling the customer and the team thread. Its record (status, team thread, relayed messages) is kept one hour longer.",
    ),
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
  // Two Slack modes: one workspace (SLACK_BOT_TOKEN) or OAuth installs (SLACK_CLIENT_ID & co).
  const oauth = ["SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET"].some(has);
  if (oauth) {
    if (has("SLACK_BOT_TOKEN")) {
      problems.push({
        name: "SLACK_BOT_TOKEN",
        message:
          "single-workspace mode, but SLACK_CLIENT_ID/SLACK_CLIENT_SECRET/SLACK_STATE_SECRET select OAuth " +
          "mode (many workspaces, tokens from installs): set one mode's variables, not both",
      });
    }
    if (has("SLACK_APP_TOKEN")) {
      problems.push({
        name: "SLACK_APP_TOKEN",
        message: "Socket Mode is single-workspace only; OAuth mode takes events over HTTP at /slack/events",
      });
    }
    for (const name of [
      "SLACK_CLIENT_ID",
      "SLACK_CLIENT_SECRET",
      "SLACK_STATE_SECRET",
      "SECRETS_KEY",
      "SLACK_SIGNING_SECRET",
    ]) {
      if (!has(name)) problems.push({ name, message: "required in Slack OAuth mode (SLACK_CLIENT_ID)" });
    }
  } else if ((has("SLACK_APP_TOKEN") || has("SLACK_SIGNING_SECRET")) && !has("SLACK_BOT_TOKEN")) {
    problems.push({
      name: "SLACK_BOT_TOKEN",
      message: "required to enable Slack (or SLACK_CLIENT_ID & co for OAuth mode)",
    });
  }
  if (has("DISCORD_TOKEN") && !has("DISCORD_APPLICATION_ID")) {
    problems.push({ name: "DISCORD_APPLICATION_ID", message: "required with DISCORD_TOKEN" });
  }
  if (has("DISCORD_SHARD_IDS") && !has("DISCORD_SHARD_COUNT")) {
    problems.push({ name: "DISCORD_SHARD_COUNT", message: "required with DISCORD_SHARD_IDS" });
  }
  // No platform and no web chat (the image's defaults) would start, report ready and answer
  // nobody: refuse instead, so the mistake shows at once (a crash loop, not a silent pod).
  if (
    !has("SLACK_BOT_TOKEN") &&
    !oauth &&
    !has("DISCORD_TOKEN") &&
    raw.WEB_CHAT?.trim().toLowerCase() === "off"
  ) {
    problems.push({
      name: "WEB_CHAT",
      message:
        "nothing to serve: no platform is configured and the web chat is off. Set SLACK_BOT_TOKEN " +
        "(with SLACK_SIGNING_SECRET, or SLACK_APP_TOKEN for Socket Mode), DISCORD_TOKEN (with " +
        "DISCORD_APPLICATION_ID), or WEB_CHAT=on",
    });
  }
  // One team: a hand-off must not be announced (and claimed) in two places.
  if (has("HANDOFF_SLACK_CHANNEL") && has("HANDOFF_DISCORD_CHANNEL")) {
    problems.push({
      name: "HANDOFF_DISCORD_CHANNEL",
      message: "set only one team channel: HANDOFF_SLACK_CHANNEL or HANDOFF_DISCORD_CHANNEL",
    });
  }
  if (has("HANDOFF_SLACK_CHANNEL") && !has("SLACK_BOT_TOKEN") && !oauth) {
    problems.push({
      name: "HANDOFF_SLACK_CHANNEL",
      message: "needs Slack (SLACK_BOT_TOKEN or SLACK_CLIENT_ID)",
    });
  }
  if (has("HANDOFF_SLACK_CHANNEL") && oauth && !has("HANDOFF_SLACK_TEAM_ID")) {
    problems.push({
      name: "HANDOFF_SLACK_TEAM_ID",
      message: "required with HANDOFF_SLACK_CHANNEL in Slack OAuth mode: the team channel's workspace",
    });
  }
  if (has("HANDOFF_DISCORD_CHANNEL") && !has("DISCORD_TOKEN")) {
    problems.push({ name: "HANDOFF_DISCORD_CHANNEL", message: "needs Discord (DISCORD_TOKEN)" });
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
  /**
   * `workspaces`: "single" with SLACK_BOT_TOKEN, "oauth" with SLACK_CLIENT_ID (installs to many
   * workspaces, always over HTTP).
   */
  slack: { mode: "http" | "socket"; workspaces: "single" | "oauth" } | null;
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
  // The deprecated name still works when the new one is not set.
  if (env.SLACK_UPDATES_PER_MINUTE !== undefined && present.SLACK_CHAT_UPDATE_PER_MINUTE === undefined) {
    env.SLACK_CHAT_UPDATE_PER_MINUTE = env.SLACK_UPDATES_PER_MINUTE;
  }
  const slack = env.SLACK_BOT_TOKEN
    ? { mode: env.SLACK_APP_TOKEN ? ("socket" as const) : ("http" as const), workspaces: "single" as const }
    : env.SLACK_CLIENT_ID
      ? { mode: "http" as const, workspaces: "oauth" as const }
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
