/**
 * Attachments in the running service (src/main.ts wiring: the limits from the environment, the
 * vision setting, sharp and PDF.js loaded), through the web chat and the offline demo model.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ended, SseClient } from "../platforms/web/sse-client.js";
import { pngImage } from "../support/files.js";
import { baseEnv, type ServiceProcess, startService } from "../support/service-process.js";

let service: ServiceProcess | undefined;
let sse: SseClient | undefined;
afterEach(async () => {
  sse?.close();
  await service?.stop("SIGKILL");
  service = undefined;
});

async function post(path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${service?.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBeLessThan(300);
  return (await res.json()) as Record<string, unknown>;
}

async function askWithFiles(attachments: unknown[]): Promise<string> {
  const { sessionId } = await post("/api/sessions", {});
  sse = await SseClient.connect(`${service?.url}/api/events?session=${String(sessionId)}`);
  const { turnId } = await post("/api/messages", { sessionId, text: "What went wrong?", attachments });
  await sse.until(ended(String(turnId)), 30_000);
  return String(sse.of("finalize").at(-1)?.data.text);
}

describe("attachments in the running service", () => {
  it("reads an image and a log with the limits from the environment, and counts them", async () => {
    // Room for gpt-4o-mini's high-detail image (8,500 tokens): files take at most half the budget.
    service = await startService(baseEnv({ MAX_ATTACHMENTS: "2", CONTEXT_TOKEN_BUDGET: "20000" }));
    const png = Buffer.from(await pngImage(50, 40)).toString("base64");
    const answer = await askWithFiles([
      { name: "screen.png", type: "image/png", size: 200, data: png },
      { name: "app.log", type: "text/plain", size: 9, data: Buffer.from("ERROR E42").toString("base64") },
      { name: "third.txt", type: "text/plain", size: 1, data: Buffer.from("x").toString("base64") },
    ]);
    expect(answer).toMatch(/`screen\.png` \(image\/png, 50x40, [\d.]+ (bytes|KB)\): came as an image/);
    expect(answer).toContain("`app.log` (text/plain, 1 line, 9 bytes): came as 9 characters of text");
    expect(answer).toContain("_Couldn't read `third.txt`: I read at most 2 files per message._");
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain('chatbot_attachments_total{platform="web",kind="image",outcome="read"} 1');
    expect(metrics).toContain(
      'chatbot_attachments_total{platform="web",kind="unknown",outcome="over_count"} 1',
    );
  });

  it("gives a notice instead of the image when MODEL_VISION=off", async () => {
    service = await startService(baseEnv({ MODEL_VISION: "off" }));
    const png = Buffer.from(await pngImage(20, 20)).toString("base64");
    const answer = await askWithFiles([{ name: "screen.png", type: "image/png", size: 100, data: png }]);
    expect(answer).toContain("_Couldn't read `screen.png`: the AI model I use cannot see images._");
  });
});
