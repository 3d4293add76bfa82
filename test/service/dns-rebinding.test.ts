/**
 * DNS rebinding against the running service: a page on attacker.example makes its name resolve to
 * 127.0.0.1, so its requests reach us same-origin, carrying `Host: attacker.example`. With the
 * web chat on, nothing a browser can reach may answer such a request.
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { rawRequest } from "../support/raw-http.js";
import { baseEnv, type ServiceProcess, startService } from "../support/service-process.js";

let service: ServiceProcess | undefined;
afterEach(async () => {
  await service?.stop("SIGKILL");
  service = undefined;
});

describe("Host allow-list while the web chat is on", () => {
  it("refuses the chat, its API and /metrics to a page whose name was rebound to this machine", async () => {
    service = await startService(baseEnv());
    const attacker = `attacker.example:${service.port}`;
    const post = await rawRequest(`${service.url}/api/messages`, {
      method: "POST",
      headers: { host: attacker, origin: `http://${attacker}`, "content-type": "application/json" },
      body: JSON.stringify({ sessionId: randomUUID(), text: "look up order 1042 for ana@example.com" }),
    });
    expect(post.status).toBe(403);
    for (const path of ["/", "/metrics", "/readyz", "/api/events"]) {
      expect((await rawRequest(`${service.url}${path}`, { headers: { host: attacker } })).status).toBe(403);
    }
    // The names a local browser uses still work, with any port.
    for (const host of [`localhost:${service.port}`, "127.0.0.1", `[::1]:${service.port}`]) {
      expect((await rawRequest(`${service.url}/`, { headers: { host } })).status).toBe(200);
    }
    // Probes and scrapers address a pod by IP: an IP literal is no rebinding, for operator routes.
    expect((await rawRequest(`${service.url}/metrics`, { headers: { host: "10.1.2.3:3000" } })).status).toBe(
      200,
    );
    expect((await rawRequest(`${service.url}/`, { headers: { host: "10.1.2.3:3000" } })).status).toBe(403);
  });

  it("answers to the names in WEB_ALLOWED_HOSTS", async () => {
    service = await startService(baseEnv({ WEB_ALLOWED_HOSTS: "chat.lan, 192.168.1.20" }));
    for (const host of [`chat.lan:${service.port}`, "CHAT.LAN", "192.168.1.20:8080"]) {
      expect((await rawRequest(`${service.url}/`, { headers: { host } })).status).toBe(200);
    }
    expect(
      (await rawRequest(`${service.url}/`, { headers: { host: "chat.lan.attacker.example" } })).status,
    ).toBe(403);
  });
});
