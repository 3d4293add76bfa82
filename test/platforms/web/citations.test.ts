/** A help-center answer in the web chat: the user sees the article as a link, listed once under "Sources:". */
import { afterEach, describe, it } from "vitest";
import { makeConversation } from "../../support/conversation.js";
import { citingModel, expectCitedOnce, helpCenterTools, RETURNS_URL } from "../../support/help-center.js";
import { startWebChat, type WebChatHarness } from "./harness.js";
import { SseClient } from "./sse-client.js";

let harness: WebChatHarness | undefined;
let client: SseClient | undefined;
afterEach(async () => {
  client?.close();
  await harness?.close();
  harness = undefined;
});

describe("web chat citations", () => {
  it("shows the returns article as a link and lists it once under Sources", async () => {
    const { conversation, store } = makeConversation({
      model: citingModel(),
      tools: await helpCenterTools(),
    });
    harness = await startWebChat({ conversation, store });
    const sessionId = await harness.session();
    client = await SseClient.connect(`${harness.baseUrl}/api/events?session=${sessionId}`);
    const res = await harness.post("/api/messages", { sessionId, text: "How do I return an item?" });
    await client.until((events) =>
      events.some((e) => e.event === "end" && e.data.turnId === res.body.turnId),
    );

    const text = String(client.of("finalize").at(-1)?.data.text);
    expectCitedOnce(text, RETURNS_URL);
  });
});
