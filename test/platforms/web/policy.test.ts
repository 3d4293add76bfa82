/** The policy file's `platforms.web` applies to the local web chat: its model and whether it answers. */
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/log.js";
import { createMemoryStore } from "../../../src/store/memory/store.js";
import { makeConversation } from "../../support/conversation.js";
import { type TestPolicy, testPolicy } from "../../support/policy.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { startWebChat, type WebChatHarness } from "./harness.js";
import { ended } from "./sse-client.js";

let harness: WebChatHarness | undefined;
let policy: TestPolicy | undefined;
afterEach(async () => {
  await harness?.close();
  policy?.close();
  harness = policy = undefined;
});

async function start(yaml: string) {
  const store = createMemoryStore({ log: silentLogger() });
  policy = await testPolicy(yaml, store);
  const model = new ScriptedModel(() => reply("from the default model"));
  const webModel = new ScriptedModel(() => reply("from the web model"));
  const { conversation } = makeConversation({
    model,
    store,
    policy: policy.setup.policies,
    models: (name) => (name === "web-model" ? webModel : model),
  });
  harness = await startWebChat({ conversation, store, replies: policy.setup.replies });
  return { h: harness, model, webModel };
}

async function ask(h: WebChatHarness, text: string) {
  const sessionId = await h.session();
  const sse = await h.listen(sessionId);
  const res = await h.post("/api/messages", { sessionId, text });
  await sse.until(ended(String(res.body.turnId)));
  return sse;
}

describe("the web chat under a policy file", () => {
  it("answers with the model the file names for the web chat", async () => {
    const { h, model, webModel } = await start("platforms:\n  web:\n    model: web-model\n");
    const sse = await ask(h, "hello");
    expect(sse.of("end")[0]?.data.outcome).toBe("answered");
    expect(webModel.requests).toHaveLength(1);
    expect(model.requests).toHaveLength(0);
  });

  it("tells the person the assistant is off when the file switches the web chat off", async () => {
    const { h, model } = await start("platforms:\n  web:\n    enabled: false\n");
    const sse = await ask(h, "hello");
    expect(sse.of("notice")[0]?.data.text).toBe("The assistant is switched off here.");
    expect(sse.of("end")[0]?.data.outcome).toBe("rejected");
    expect(model.requests).toHaveLength(0);
  });
});
