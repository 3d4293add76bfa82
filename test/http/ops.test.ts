import { afterEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/core/ports.js";
import { registerOpsRoutes } from "../../src/http/ops.js";
import { HttpServer } from "../../src/http/server.js";
import { Metrics } from "../../src/metrics.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import { captureLog, WARN } from "../store/log-capture.js";

const REDIS_ERROR = "connect ECONNREFUSED redis-primary.internal.example:6379 (10.20.30.40)";

let http: HttpServer | undefined;
afterEach(async () => {
  await http?.close();
  http = undefined;
});

async function serve(store: Store, opts: { now?: () => number; metrics?: Metrics } = {}) {
  const captured = captureLog();
  http = new HttpServer(captured.log);
  registerOpsRoutes(http, {
    store,
    adapters: () => [],
    metrics: opts.metrics ?? new Metrics(),
    shuttingDown: () => false,
    log: captured.log,
    ...(opts.now ? { now: opts.now } : {}),
  });
  const port = await http.listen(0, "127.0.0.1");
  return { url: `http://127.0.0.1:${port}`, captured };
}

describe("GET /readyz", () => {
  it("names a store that does not answer without revealing its address, which goes to the log", async () => {
    const memory = createMemoryStore({ log: captureLog().log });
    const failing: Store = {
      ...memory,
      ping: async () => {
        throw new Error(REDIS_ERROR);
      },
    };
    const { url, captured } = await serve(failing);
    const res = await fetch(`${url}/readyz`);
    const text = await res.text();
    expect(res.status).toBe(503);
    expect(JSON.parse(text)).toMatchObject({ status: "not ready", problems: { store: "not answering" } });
    expect(text).not.toContain("redis-primary");
    expect(text).not.toContain("10.20.30.40");
    expect(captured.text()).toContain("redis-primary.internal.example");
    await memory.close();
  });

  it("is ready when the store answers", async () => {
    const memory = createMemoryStore({ log: captureLog().log });
    const { url } = await serve(memory);
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ready", store: "memory", problems: {} });
    await memory.close();
  });

  it("logs a store that stays down once when it goes down, then once a minute, and once when it is back, while counting every failed probe", async () => {
    const memory = createMemoryStore({ log: captureLog().log });
    let down = true;
    let clock = 1_000_000;
    const flaky: Store = {
      ...memory,
      ping: async () => {
        if (down) throw new Error(REDIS_ERROR);
        return memory.ping();
      },
    };
    const metrics = new Metrics();
    const { url, captured } = await serve(flaky, { now: () => clock, metrics });
    const probe = async () => (await fetch(`${url}/readyz`)).status;
    const storeLines = () => captured.lines.filter((l) => /readiness: the store/.test(l.msg));
    // Kubernetes' default: a probe every 10 s. Five minutes down.
    for (let i = 0; i < 30; i++) {
      expect(await probe()).toBe(503);
      clock += 10_000;
    }
    const warnings = storeLines().filter((l) => l.level === WARN);
    expect(warnings.length).toBe(5);
    expect(warnings[1]).toMatchObject({ failedProbes: 6 });
    down = false;
    expect(await probe()).toBe(200);
    expect(await probe()).toBe(200);
    expect(
      storeLines()
        .map((l) => l.msg)
        .slice(-1),
    ).toEqual(["readiness: the store answers again"]);
    expect(storeLines()).toHaveLength(6);
    expect((await metrics.render()).body).toContain('chatbot_readiness_failures_total{part="store"} 30');
    await memory.close();
  });
});
