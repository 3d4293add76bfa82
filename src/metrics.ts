/**
 * Prometheus metrics (prom-client). One instance per process, created in main.ts and handed to
 * whoever records; no module-level registry, so tests and benchmarks can make their own.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export class Metrics {
  readonly registry = new Registry();

  readonly turns = new Counter({
    name: "chatbot_turns_total",
    help: "Conversation turns by platform and outcome (answered, stopped, error, throttled, duplicate, busy, rejected).",
    labelNames: ["platform", "kind", "outcome"] as const,
    registers: [this.registry],
  });
  readonly firstTokenSeconds = new Histogram({
    name: "chatbot_model_first_token_seconds",
    help: "Time from sending a model request to its first streamed token.",
    buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32],
    registers: [this.registry],
  });
  readonly modelSeconds = new Histogram({
    name: "chatbot_model_total_seconds",
    help: "Time from sending a model request to its end.",
    buckets: [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });
  readonly tokens = new Counter({
    name: "chatbot_model_tokens_total",
    help: "Model tokens by direction (in, out).",
    labelNames: ["direction"] as const,
    registers: [this.registry],
  });
  readonly toolCalls = new Counter({
    name: "chatbot_tool_calls_total",
    help: "Tool calls by tool and outcome.",
    labelNames: ["tool", "outcome"] as const,
    registers: [this.registry],
  });
  readonly toolSeconds = new Histogram({
    name: "chatbot_tool_seconds",
    help: "Tool call duration.",
    labelNames: ["tool"] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  readonly throttled = new Counter({
    name: "chatbot_throttled_total",
    help: "Requests refused by the per-user throttle, by reason (rate, tokens).",
    labelNames: ["platform", "reason"] as const,
    registers: [this.registry],
  });
  readonly feedback = new Counter({
    name: "chatbot_feedback_total",
    help: "Ratings of answers by platform and rating (up, down); a changed rating counts under its new value.",
    labelNames: ["platform", "rating"] as const,
    registers: [this.registry],
  });
  readonly platformCalls = new Counter({
    name: "chatbot_platform_api_calls_total",
    help: "Chat platform API calls by platform and method.",
    labelNames: ["platform", "method"] as const,
    registers: [this.registry],
  });
  readonly platformRateLimited = new Counter({
    name: "chatbot_platform_api_429_total",
    help: "Chat platform API calls answered with HTTP 429, by platform and method.",
    labelNames: ["platform", "method"] as const,
    registers: [this.registry],
  });
  readonly editsPerAnswer = new Histogram({
    name: "chatbot_edits_per_answer",
    help: "Message posts and edits one answer took.",
    labelNames: ["platform"] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });
  readonly attachments = new Counter({
    name: "chatbot_attachments_total",
    help: "Attached files by platform, kind the bytes showed (image, text, pdf, other; unknown when not downloaded) and outcome (read, cut, or why not read: too_big, timeout, download_failed, unsupported, no_vision, over_count, unreadable, too_many_pixels, no_text).",
    labelNames: ["platform", "kind", "outcome"] as const,
    registers: [this.registry],
  });
  readonly readinessFailures = new Counter({
    name: "chatbot_readiness_failures_total",
    help: "Readiness probes (/readyz) that found a part not answering, by part (store).",
    labelNames: ["part"] as const,
    registers: [this.registry],
  });
  readonly activeStreams = new Gauge({
    name: "chatbot_active_streams",
    help: "Answers streaming right now.",
    labelNames: ["platform"] as const,
    registers: [this.registry],
  });

  readonly handoffs = new Counter({
    name: "chatbot_handoffs_total",
    help: "Hand-offs to the support team by customer platform, reason (what asked: tool, button, command) and event (opened, claimed, closed).",
    labelNames: ["platform", "reason", "event"] as const,
    registers: [this.registry],
  });
  readonly handoffClaimSeconds = new Histogram({
    name: "chatbot_handoff_claim_seconds",
    help: "Time from a hand-off being opened to a person claiming it.",
    labelNames: ["platform"] as const,
    buckets: [10, 30, 60, 120, 300, 600, 1800, 3600, 14400],
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    // Default metrics include nodejs_eventloop_lag_seconds, heap and GC figures.
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
