import { afterEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/core/ports.js";
import { registerOpsRoutes } from "../../src/http/ops.js";
import { HttpServer } from "../../src/http/server.js";
import { Metrics } from "../../src/metrics.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import { captureLog } from "../store/log-capture.js";

const REDIS_ERROR = "connect ECONNREFUSED redis-primary.internal.example:6379 (10.20.30.40)";

let http: HttpServer | undefined;
afterEach(async () => {
  await http?.close();
  http = undefined;
});

async function serve(store: Store) {
  const captured = captureLog();
  http = new HttpServer(captured.log);
  registerOpsRoutes(http, {
    store,
    adapters: () => [],
    metrics: new Metrics(),
    shuttingDown: () => false,
    log: captured.log,
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
});
