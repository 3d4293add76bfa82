/**
 * The service as an operator runs it: `src/main.ts` in its own process. Bad configuration stops
 * it with a message naming the variable; an unreachable Redis stops it saying so; with no
 * configuration it serves the web chat, its probes and metrics, and exits 0 on SIGTERM.
 */
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { freePort } from "../support/redis.js";
import { baseEnv, type ServiceProcess, spawnService, startService } from "../support/service-process.js";

let service: ServiceProcess | undefined;
afterEach(async () => {
  await service?.stop("SIGKILL");
  service = undefined;
});

describe("service start-up", () => {
  it("refuses to start with bad variables and names every one of them", async () => {
    const { exited, lines } = spawnService(
      baseEnv({ PORT: "eighty", THROTTLE_REQUESTS: "-1", SLACK_BOT_TOKEN: "xoxb-secret" }),
    );
    expect(await exited).toBe(1);
    const output = lines.join("\n");
    expect(output).toContain("PORT");
    expect(output).toContain("THROTTLE_REQUESTS");
    expect(output).toContain("SLACK_SIGNING_SECRET");
    expect(output).not.toContain("xoxb-secret");
  });

  it("exits at once, naming what to set, when no platform is configured and the web chat is off", async () => {
    // The image's defaults (NODE_ENV=production, WEB_CHAT=off) with no token given.
    const { child, exited, lines } = spawnService(
      baseEnv({ NODE_ENV: "production", WEB_CHAT: "off", HOST: "0.0.0.0" }),
    );
    // Before the fix it kept running, serving nobody: never leave it behind.
    onTestFinished(() => {
      if (child.exitCode === null) child.kill("SIGKILL");
    });
    expect(await exited).toBe(1);
    const output = lines.join("\n");
    expect(output).toContain("nothing to serve");
    for (const name of ["SLACK_BOT_TOKEN", "DISCORD_TOKEN", "WEB_CHAT=on"]) expect(output).toContain(name);
    expect(output).not.toContain("listening on port");
  });

  it("stops with a clear error when Redis is unreachable at start", async () => {
    const closed = await freePort();
    const { exited, lines } = spawnService(baseEnv({ REDIS_URL: `redis://:hunter2@127.0.0.1:${closed}` }));
    expect(await exited).toBe(1);
    const output = lines.join("\n");
    expect(output).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
    expect(output).toContain("ECONNREFUSED");
    expect(output).not.toContain("hunter2");
  });

  it("serves the web chat, probes and metrics with no configuration, and exits 0 on SIGTERM", async () => {
    service = await startService(baseEnv());
    expect(service.lines.join("\n")).toContain("OFFLINE DEMO MODEL");
    const page = await fetch(`${service.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<html");
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    // The bundled help center indexes in the background; the replica is ready once it is in.
    await service.waitForLine(/help center indexed/);
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: "ready",
      store: "memory",
      adapters: { web: true },
      checks: { knowledge: "ready" },
    });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain("chatbot_turns_total");
    expect(metrics).toContain("nodejs_eventloop_lag_seconds");
    expect(await service.stop("SIGTERM")).toBe(0);
    expect(service.lines.join("\n")).toContain("shutdown complete");
  });
});
