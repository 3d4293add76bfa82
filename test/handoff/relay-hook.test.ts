/** The turn's hand-off check (core/conversation.ts): relay instead of answering, after dedup. */
import { describe, expect, it } from "vitest";
import { StoreError } from "../../src/core/errors.js";
import type { HandoffRecord } from "../../src/core/handoff/record.js";
import type { IncomingMessage } from "../../src/core/types.js";
import { makeConversation, message } from "../support/conversation.js";
import { RecordingSink } from "../support/recording-sink.js";
import { reply, ScriptedModel } from "../support/scripted-model.js";

/** The turn only passes the record on; its fields do not matter here. */
const ACTIVE = { id: "h1", status: "open" } as unknown as HandoffRecord;

describe("a conversation with a person", () => {
  it("passes the message on instead of answering, once per delivery", async () => {
    const model = new ScriptedModel(() => reply("model answer"));
    const { conversation } = makeConversation({ model });
    const relayed: IncomingMessage[] = [];
    conversation.useHandoffs({
      activeFor: async () => ACTIVE,
      relayCustomer: async (msg) => {
        relayed.push(msg);
        return true;
      },
    });
    const msg = message({ text: "  hello team  " });
    const sink = new RecordingSink();
    expect((await conversation.handle(msg, sink)).outcome).toBe("relayed");
    expect((await conversation.handle(msg, new RecordingSink())).outcome).toBe("duplicate");
    expect(relayed.map((m) => m.text)).toEqual(["hello team"]);
    expect(model.requests).toHaveLength(0);
    expect(sink.calls).toEqual([]);
  });

  it("answers as usual when the hand-off store fails, rather than losing the message", async () => {
    const model = new ScriptedModel(() => reply("model answer"));
    const { conversation } = makeConversation({ model });
    conversation.useHandoffs({
      activeFor: async () => ACTIVE,
      relayCustomer: async () => {
        throw new StoreError("redis down");
      },
    });
    const result = await conversation.handle(message({ text: "hello" }), new RecordingSink());
    expect(result.outcome).toBe("answered");
    expect(result.text).toBe("model answer");
  });

  it("answers as usual when the hand-off cannot even be looked up", async () => {
    const model = new ScriptedModel(() => reply("model answer"));
    const { conversation } = makeConversation({ model });
    let relayCalls = 0;
    conversation.useHandoffs({
      activeFor: async () => {
        throw new StoreError("redis down");
      },
      relayCustomer: async () => {
        relayCalls++;
        return true;
      },
    });
    const result = await conversation.handle(message({ text: "hello" }), new RecordingSink());
    expect(result.outcome).toBe("answered");
    expect(relayCalls).toBe(0);
  });

  it("answers a conversation nobody handed off without asking the relay", async () => {
    const model = new ScriptedModel(() => reply("model answer"));
    const { conversation } = makeConversation({ model });
    let relayCalls = 0;
    conversation.useHandoffs({
      activeFor: async () => null,
      relayCustomer: async () => {
        relayCalls++;
        return true;
      },
    });
    const result = await conversation.handle(message({ text: "hello" }), new RecordingSink());
    expect(result.outcome).toBe("answered");
    expect(relayCalls).toBe(0);
  });

  it("refuses a message too long for a turn instead of relaying it to the team", async () => {
    const model = new ScriptedModel(() => reply("model answer"));
    const { conversation } = makeConversation({ model, settings: { maxInputChars: 20 } });
    const relayed: IncomingMessage[] = [];
    conversation.useHandoffs({
      activeFor: async () => ACTIVE,
      relayCustomer: async (msg) => {
        relayed.push(msg);
        return true;
      },
    });
    const result = await conversation.handle(message({ text: "x".repeat(21) }), new RecordingSink());
    expect(result.outcome).toBe("rejected");
    expect(relayed).toEqual([]);
  });
});
