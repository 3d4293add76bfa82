/** /readyz names each part that must be ready, the help-center index among them, by state only. */
import { afterEach, describe, expect, it } from "vitest";
import { registerOpsRoutes } from "../../src/http/ops.js";
import { HttpServer } from "../../src/http/server.js";
import { silentLogger } from "../../src/log.js";
import { Metrics } from "../../src/metrics.js";
import { createMemoryStore } from "../../src/store/memory/store.js";

let http: HttpServer | undefined;
afterEach(async () => {
  await http?.close();
  http = undefined;
});

async function readyz(knowledge: () => string) {
  const log = silentLogger();
  http = new HttpServer(log);
  registerOpsRoutes(http, {
    store: createMemoryStore({ log }),
    adapters: () => [],
    metrics: new Metrics(),
    shuttingDown: () => false,
    checks: { knowledge },
    log,
  });
  const port = await http.listen(0, "127.0.0.1");
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("/readyz and the help center", () => {
  it("is not ready while the help center is still indexing, and says so", async () => {
    const { status, body } = await readyz(() => "indexing");
    expect(status).toBe(503);
    expect(body).toMatchObject({ status: "not ready", checks: { knowledge: "indexing" } });
  });

  it("is ready once the index is in", async () => {
    const { status, body } = await readyz(() => "ready");
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: "ready", checks: { knowledge: "ready" } });
  });
});
