/**
 * pino, JSON in production and when output is not a terminal, pretty in a terminal.
 * Secrets are redacted wherever they appear in a logged object; message text is logged only at
 * `debug` (callers put it under a `text` field at that level).
 */
import { type Logger, pino } from "pino";

export type { Logger } from "pino";

/** Paths pino blanks out. Covers config dumps, HTTP headers and SDK errors that echo requests. */
export const REDACT_PATHS = [
  "*.OPENAI_API_KEY",
  "*.SLACK_BOT_TOKEN",
  "*.SLACK_APP_TOKEN",
  "*.SLACK_SIGNING_SECRET",
  "*.SLACK_CLIENT_SECRET",
  "*.SLACK_STATE_SECRET",
  "*.SECRETS_KEY",
  "*.botToken",
  "*.clientSecret",
  "*.DISCORD_TOKEN",
  "*.REDIS_URL",
  "token",
  "*.token",
  "apiKey",
  "*.apiKey",
  "password",
  "*.password",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "req.headers.authorization",
  "req.headers.cookie",
  "*.headers['x-slack-signature']",
  "headers['x-slack-signature']",
];

export function createLogger(opts: {
  level: string;
  format: "auto" | "json" | "pretty";
  destination?: NodeJS.WritableStream;
}): Logger {
  const pretty = opts.format === "pretty" || (opts.format === "auto" && process.stdout.isTTY === true);
  const base = {
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    base: { service: "chatbot" },
  };
  if (opts.destination) return pino(base, opts.destination as pino.DestinationStream);
  if (pretty) {
    try {
      return pino({
        ...base,
        transport: { target: "pino-pretty", options: { colorize: true, translateTime: "HH:MM:ss.l" } },
      });
    } catch {
      // pino-pretty missing (production image without it): fall back to JSON.
    }
  }
  return pino(base);
}

/** A logger that drops everything, for tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
