/**
 * Helpers for the tool tests: a turn context, a logger whose lines the test can read, and a
 * key-value store over the real memory store that remembers the TTLs it was given.
 */
import { Writable } from "node:stream";
import type { KeyValueStore, ToolContext } from "../../src/core/ports.js";
import { createLogger, type Logger } from "../../src/log.js";
import { Metrics } from "../../src/metrics.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import { createToolRegistry, type ToolEnv } from "../../src/tools/index.js";
import type { ToolRegistry } from "../../src/tools/registry.js";

export function toolContext(overrides: Partial<ToolContext> = {}): ToolContext {
  const base = { platform: "web", workspaceId: "local", userId: "demo", ...overrides };
  return {
    limitKey: `${base.platform}:${base.workspaceId}:${base.userId}`,
    threadKey: "web:local:c1:t1",
    askerText: "",
    audience: "private",
    signal: new AbortController().signal,
    ...base,
  };
}

export interface CapturedLog {
  log: Logger;
  lines: Record<string, unknown>[];
  /** Raw text of every line, to check what never appears. */
  text(): string;
}

export function capturedLogger(level = "info"): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  let raw = "";
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = chunk.toString("utf8");
      raw += text;
      for (const line of text.split("\n"))
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger({ level, format: "json", destination }), lines, text: () => raw };
}

export interface RecordingKv extends KeyValueStore {
  ttls: Map<string, number>;
  /** Make every call fail (store down). */
  failing: boolean;
}

export function recordingKv(): RecordingKv {
  const store = createMemoryStore({
    log: createLogger({ level: "silent", format: "json" }),
    prefix: `tooltest:${process.pid}:${Math.random()}:`,
  });
  const kv: RecordingKv = {
    ttls: new Map(),
    failing: false,
    async get(key) {
      if (kv.failing) throw new Error("store down");
      return store.kv.get(key);
    },
    async set(key, value, ttlMs) {
      if (kv.failing) throw new Error("store down");
      kv.ttls.set(key, ttlMs);
      return store.kv.set(key, value, ttlMs);
    },
    async increment(key, ttlMs, by) {
      if (kv.failing) throw new Error("store down");
      kv.ttls.set(key, ttlMs);
      return store.kv.increment(key, ttlMs, by);
    },
  };
  return kv;
}

export const baseToolEnv: ToolEnv = {
  WEATHER_API_URL: "http://127.0.0.1:9/v1/forecast",
  GEOCODING_API_URL: "http://127.0.0.1:9/v1/search",
  PRODUCTS_URL: undefined,
  ORDERS_URL: undefined,
  ORDER_LOOKUP_FAILURES_PER_HOUR: 3,
  TOOL_TIMEOUT_MS: 2_000,
};

export function makeRegistry(env: Partial<ToolEnv> = {}, opts: { kv?: RecordingKv; log?: CapturedLog } = {}) {
  const kv = opts.kv ?? recordingKv();
  const log = opts.log ?? capturedLogger();
  const metrics = new Metrics();
  const registry: ToolRegistry = createToolRegistry({
    env: { ...baseToolEnv, ...env },
    kv,
    log: log.log,
    metrics,
  });
  return { registry, kv, log, metrics };
}

let callCounter = 0;
export function call(name: string, args: unknown) {
  callCounter++;
  return {
    id: `call_${callCounter}`,
    name,
    arguments: typeof args === "string" ? args : JSON.stringify(args),
  };
}

/** The JSON the model reads. */
export function content(result: { content: string }): Record<string, unknown> {
  return JSON.parse(result.content) as Record<string, unknown>;
}

export async function metricValue(
  metrics: Metrics,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  // Histogram series (`_count`, `_sum`) live under the histogram's own name.
  const metric =
    metrics.registry.getSingleMetric(name) ??
    metrics.registry.getSingleMetric(name.replace(/_(count|sum)$/, ""));
  const data = await metric?.get();
  const hit = data?.values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? name) === name &&
      Object.entries(labels).every(([k, want]) => (v.labels as Record<string, unknown>)[k] === want),
  );
  return hit?.value ?? 0;
}
