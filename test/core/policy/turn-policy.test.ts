/**
 * The turn under a policy file: per channel another model, extra instructions, tools off, its own
 * per-user limits and history retention; without a file, nothing changes.
 */
import { describe, expect, it } from "vitest";
import type { ChatModel } from "../../../src/core/ports.js";
import { type IncomingMessage, threadKeyOf } from "../../../src/core/types.js";
import { silentLogger } from "../../../src/log.js";
import { MemoryKeyspace } from "../../../src/store/memory/keyspace.js";
import { createMemoryStore } from "../../../src/store/memory/store.js";
import { makeConversation, message } from "../../support/conversation.js";
import { RecordingSink } from "../../support/recording-sink.js";
import { reply, ScriptedModel, toolCalls } from "../../support/scripted-model.js";
import { policiesFrom } from "./fixtures.js";

const FILE = `
platforms:
  slack:
    workspaces:
      T1:
        channels:
          CSALES:
            model: gpt-4o
            extraSystemPrompt: "House rule: always mention the spring sale."
          CQUIET:
            tools: []
          CTIGHT:
            limits: { requests: 1, windowSeconds: 3600 }
          CSHORT:
            historyTtlHours: 1
`;

const inChannel = (channelId: string, more: Partial<IncomingMessage> = {}) =>
  message({
    platform: "slack",
    workspaceId: "T1",
    channelId,
    threadId: `${channelId}-t`,
    kind: "mention",
    ...more,
  });

function setUp(yaml: string | null = FILE) {
  const defaultModel = new ScriptedModel(() => reply("default model here"));
  const bigModel = new ScriptedModel(() => reply("big model here"));
  const asked: string[] = [];
  const models = (name: string): ChatModel => {
    asked.push(name);
    return name === "gpt-4o" ? bigModel : defaultModel;
  };
  const { conversation } = makeConversation({ model: defaultModel, policy: policiesFrom(yaml), models });
  return { conversation, defaultModel, bigModel, asked };
}

const systemOf = (model: ScriptedModel, i = 0) => {
  const first = model.requests[i]?.messages[0];
  return first?.role === "system" ? first.content : "";
};

describe("the turn under a policy", () => {
  it("answers in a channel with its own model and extra instructions, elsewhere with the defaults", async () => {
    const { conversation, defaultModel, bigModel, asked } = setUp();
    const sales = await conversation.handle(inChannel("CSALES"), new RecordingSink());
    expect(sales.text).toBe("big model here");
    expect(asked).toEqual(["gpt-4o"]);
    expect(systemOf(bigModel)).toMatch(/House rule: always mention the spring sale\.$/);

    const general = await conversation.handle(inChannel("CGENERAL"), new RecordingSink());
    expect(general.text).toBe("default model here");
    expect(systemOf(defaultModel)).not.toContain("spring sale");
    expect(bigModel.requests).toHaveLength(1);
  });

  it("offers no tools where the policy turns them off, and refuses a call to one anyway", async () => {
    const model = new ScriptedModel((_req, i) =>
      i === 0 ? toolCalls({ id: "c1", name: "lookup_fact", args: { topic: "capital" } }) : reply("done"),
    );
    const { conversation } = makeConversation({ model, policy: policiesFrom(FILE) });
    await conversation.handle(inChannel("CQUIET"), new RecordingSink());
    expect(model.requests[0]?.tools).toEqual([]);
    const toolResult = model.requests[1]?.messages.find((m) => m.role === "tool");
    expect(toolResult?.content).toContain("not available here");

    await conversation.handle(inChannel("CGENERAL"), new RecordingSink());
    expect(model.requests[2]?.tools.map((t) => t.name)).toEqual(["lookup_fact"]);
  });

  it("throttles a person by the limits of the channel they ask in", async () => {
    const { conversation } = setUp();
    expect((await conversation.handle(inChannel("CTIGHT"), new RecordingSink())).outcome).toBe("answered");
    const sink = new RecordingSink();
    expect((await conversation.handle(inChannel("CTIGHT"), sink)).outcome).toBe("throttled");
    expect(sink.notices).toHaveLength(1);
    // The same person elsewhere has the default limits (100 an hour).
    expect((await conversation.handle(inChannel("CGENERAL"), new RecordingSink())).outcome).toBe("answered");
  });

  it("forgets a channel's history after its own retention while others keep theirs", async () => {
    let now = Date.now();
    const keyspace = new MemoryKeyspace({ now: () => now });
    const store = createMemoryStore({ log: silentLogger(), keyspace });
    const model = new ScriptedModel(() => reply("ok"));
    const { conversation } = makeConversation({
      model,
      store,
      policy: policiesFrom(FILE),
      settings: { historyTtlMs: 7 * 24 * 3_600_000 },
      now: () => now,
    });
    const short = inChannel("CSHORT");
    const general = inChannel("CGENERAL");
    await conversation.handle(short, new RecordingSink());
    await conversation.handle(general, new RecordingSink());
    now += 2 * 3_600_000;
    expect(await store.threads.load(threadKeyOf(short))).toHaveLength(0);
    expect(await store.threads.load(threadKeyOf(general))).toHaveLength(1);
    await store.close();
    keyspace.close();
  });

  it("changes nothing without a policy file", async () => {
    const { conversation, defaultModel, asked } = setUp(null);
    await conversation.handle(inChannel("CSALES"), new RecordingSink());
    expect(asked).toEqual([]);
    expect(defaultModel.requests[0]?.tools.map((t) => t.name)).toEqual(["lookup_fact"]);
    expect(systemOf(defaultModel)).not.toContain("House rule");
  });
});
