/**
 * The service as an operator runs it with no configuration (offline demo model, bundled help
 * center): a question about returns in the web chat is answered from the help center, with a
 * link to the returns article and a Sources line.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SseClient } from "../platforms/web/sse-client.js";
import { linkTargets, sourcesLines } from "../support/help-center.js";
import { baseEnv, type ServiceProcess, startService } from "../support/service-process.js";

let service: ServiceProcess | undefined;
let client: SseClient | undefined;
afterEach(async () => {
  client?.close();
  await service?.stop("SIGKILL");
  service = undefined;
});

describe("help center in the running service", () => {
  it("answers a returns question in the web chat with a link to the returns article", async () => {
    service = await startService(baseEnv());
    await service.waitForLine(/help center indexed/);
    const session = await fetch(`${service.url}/api/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    const { sessionId } = (await session.json()) as { sessionId: string };
    client = await SseClient.connect(`${service.url}/api/events?session=${sessionId}`);
    const res = await fetch(`${service.url}/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sessionId, text: "Can I return headphones I bought last week?" }),
    });
    expect(res.status).toBe(202);
    const { turnId } = (await res.json()) as { turnId: string };
    await client.until((events) => events.some((e) => e.event === "end" && e.data.turnId === turnId));

    const text = String(client.of("finalize").at(-1)?.data.text);
    expect(text).toMatch(/opened in-ear headphones/i); // the passage on what can be returned
    const returnsLinks = linkTargets(text).filter((u) => u.startsWith("https://help.example.com/returns"));
    expect(returnsLinks.length).toBeGreaterThan(0);
    expect(linkTargets(sourcesLines(text)[0] ?? "")).toEqual([returnsLinks[0]]);
  });
});
