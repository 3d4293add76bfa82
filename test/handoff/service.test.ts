/**
 * The hand-off as an operator gets it with no configuration (main.ts wiring, the offline demo
 * model, the web chat): asking for a person hands the conversation to the local team page.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SseClient } from "../platforms/web/sse-client.js";
import { baseEnv, type ServiceProcess, startService } from "../support/service-process.js";

let service: ServiceProcess | undefined;
let client: SseClient | undefined;
afterEach(async () => {
  client?.close();
  await service?.stop("SIGKILL");
  service = undefined;
});

describe("hand-off in the running service", () => {
  it("hands a web chat to the local team page when the customer asks for a person", async () => {
    service = await startService(baseEnv());
    const url = service.url;
    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const { sessionId } = (await (await post("/api/sessions", {})).json()) as { sessionId: string };
    client = await SseClient.connect(`${url}/api/events?session=${sessionId}`);
    const res = await post("/api/messages", { sessionId, text: "Can I talk to a person please?" });
    const { turnId } = (await res.json()) as { turnId: string };
    await client.until((events) => events.some((e) => e.event === "end" && e.data.turnId === turnId), 30_000);
    const said = client.of("finalize").map((e) => String(e.data.text));
    expect(said.some((t) => /person from our support team/.test(t))).toBe(true);

    const { handoffs } = (await (await fetch(`${url}/team/api/handoffs`)).json()) as {
      handoffs: { id: string; reason: string; status: string }[];
    };
    expect(handoffs).toHaveLength(1);
    expect(handoffs[0]).toMatchObject({ reason: "asked for a person", status: "open" });

    // While it is with the team, the next message is not answered by the model.
    const next = await post("/api/messages", { sessionId, text: "Hello? Anyone there?" });
    const nextTurn = ((await next.json()) as { turnId: string }).turnId;
    await client.until(
      (events) => events.some((e) => e.event === "end" && e.data.turnId === nextTurn),
      30_000,
    );
    expect(client.of("end").find((e) => e.data.turnId === nextTurn)?.data.outcome).toBe("relayed");
  });
});
