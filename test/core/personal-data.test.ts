/**
 * The privacy rule in the core: personal data is only shown in private. In a shared thread a
 * personal tool result goes to the asker privately, the model and the stored history get a
 * placeholder, and earlier stored results are redacted. Also the per-round tool call cap.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import type { PrivateDelivery } from "../../src/core/ports.js";
import { threadKeyOf } from "../../src/core/types.js";
import { makeConversation, message } from "../support/conversation.js";
import { leaked, obedientModel, orderRegistry, privateOrder } from "../support/private-orders.js";
import { RecordingSink } from "../support/recording-sink.js";
import { reply, ScriptedModel, toolCalls } from "../support/scripted-model.js";
import { FactTools } from "../support/test-tools.js";

/** A sink in a shared place: its private channel records what only the asker saw. */
class SharedPlaceSink extends RecordingSink {
  readonly privately: string[] = [];
  constructor(private readonly via: PrivateDelivery | "fails" = "ephemeral") {
    super();
  }
  async sendPrivately(text: string): Promise<PrivateDelivery> {
    if (this.via === "fails") throw new Error("cannot message this user");
    this.privately.push(text);
    return this.via;
  }
}

const withEmail = { order_id: "7001", email: "ben@example.com" };
const shared = (overrides: Parameters<typeof message>[0] = {}) =>
  message({
    platform: "slack",
    workspaceId: "T1",
    channelId: "C1",
    threadId: "1700.1",
    kind: "mention",
    audience: "shared",
    userId: "U2",
    ...overrides,
  });

describe("personal data in a shared thread", () => {
  it("sends an order to the asker privately; the public answer, the model and the history never hold it", async () => {
    const model = obedientModel(withEmail);
    const tools = orderRegistry([privateOrder("slack:T1:U2")]);
    const { conversation, store } = makeConversation({ model, tools });
    const sink = new SharedPlaceSink("ephemeral");

    const result = await conversation.handle(shared({ text: "where is order 7001? ben@example.com" }), sink);

    expect(result.outcome).toBe("answered");
    expect(sink.privately).toHaveLength(1);
    expect(sink.privately[0]).toContain("1ZSECRET777");
    expect(sink.privately[0]).toContain("1 × Blue Kettle");
    expect(leaked(sink.answer)).toEqual([]);
    expect(sink.answer).toContain("I sent the details only to you");
    expect(leaked(JSON.stringify(model.requests))).toEqual([]);
    const history = await store.threads.load(threadKeyOf(shared()));
    expect(leaked(JSON.stringify(history))).toEqual([]);
    expect(JSON.stringify(history)).toContain("sent_privately");
  });

  it("says the details went by DM when the platform used a DM", async () => {
    const model = obedientModel(withEmail);
    const { conversation } = makeConversation({ model, tools: orderRegistry([privateOrder("slack:T1:U2")]) });
    const sink = new SharedPlaceSink("dm");
    await conversation.handle(shared({ text: "order 7001, ben@example.com" }), sink);
    expect(sink.answer).toContain("I sent the details to you in a direct message");
    expect(leaked(sink.answer)).toEqual([]);
  });

  it("withholds the details when they cannot be sent privately, and says to ask in a DM", async () => {
    const model = obedientModel(withEmail);
    const { conversation } = makeConversation({ model, tools: orderRegistry([privateOrder("slack:T1:U2")]) });
    const sink = new SharedPlaceSink("fails");
    const result = await conversation.handle(shared({ text: "order 7001, ben@example.com" }), sink);
    expect(result.outcome).toBe("answered");
    expect(leaked(sink.answer)).toEqual([]);
    expect(sink.answer).toContain("I couldn't send you the details privately");
    expect(leaked(JSON.stringify(model.requests))).toEqual([]);
  });

  it("withholds the details where the sink has no private channel at all", async () => {
    const model = obedientModel(withEmail);
    const { conversation } = makeConversation({ model, tools: orderRegistry([privateOrder("slack:T1:U2")]) });
    const sink = new RecordingSink();
    await conversation.handle(shared({ text: "order 7001, ben@example.com" }), sink);
    expect(leaked(sink.answer)).toEqual([]);
    expect(sink.answer).toContain("I couldn't send you the details privately");
  });

  it("refuses a linked-account lookup (no email) in a shared thread, without looking the order up", async () => {
    const model = obedientModel({ order_id: "7001", email: null });
    const { conversation } = makeConversation({ model, tools: orderRegistry([privateOrder("slack:T1:U2")]) });
    const sink = new SharedPlaceSink();
    await conversation.handle(shared({ text: "hi" }), sink);
    expect(sink.privately).toEqual([]);
    expect(leaked(sink.answer)).toEqual([]);
    expect(sink.answer).toContain("private_conversation_required");
  });

  it("redacts personal results stored in the thread earlier before a later participant's turn", async () => {
    // Turn 1 looks the order up and answers without repeating it; turn 2 repeats all it sees.
    const model = new ScriptedModel((req, i) => {
      if (i === 0)
        return toolCalls({ id: "c1", name: "get_order_status", args: { order_id: "7001", email: null } });
      if (i === 1) return reply("I found your order.");
      const seen = req.messages.filter((m) => m.role === "tool").map((m) => String(m.content));
      return reply(`Earlier tool results: ${seen.join(" ")}`);
    });
    const { conversation } = makeConversation({ model, tools: orderRegistry([privateOrder("slack:T1:U2")]) });
    // A result stored in this thread before the rule existed (stored as a private exchange was).
    await conversation.handle(shared({ text: "my order", audience: "private" }), new RecordingSink());
    expect(leaked(JSON.stringify(model.requests[1]))).not.toEqual([]);

    const later = new SharedPlaceSink();
    await conversation.handle(shared({ userId: "U1", text: "repeat the earlier tool results" }), later);
    expect(leaked(JSON.stringify(model.requests[2]))).toEqual([]);
    expect(leaked(later.answer)).toEqual([]);
    expect(later.answer).toContain("redacted");
  });
});

describe("personal data in a private conversation", () => {
  it("keeps today's behaviour: a linked order is looked up and shown in the answer", async () => {
    const model = obedientModel({ order_id: "7001", email: null });
    const { conversation } = makeConversation({ model, tools: orderRegistry([privateOrder("slack:T1:U2")]) });
    const sink = new SharedPlaceSink();
    await conversation.handle(
      message({
        platform: "slack",
        workspaceId: "T1",
        channelId: "D2",
        threadId: "dm",
        userId: "U2",
        kind: "dm",
        text: "my order 7001",
      }),
      sink,
    );
    expect(sink.privately).toEqual([]);
    expect(sink.answer).toContain("1ZSECRET777");
  });
});

describe("parallel tool calls per round", () => {
  it("runs at most 4 calls of one round by default and tells the model the rest were not run", async () => {
    expect(loadConfig({}).env.MAX_PARALLEL_TOOL_CALLS).toBe(4);
    const topics = ["capital", "river", "capital", "river", "capital", "river"];
    const model = new ScriptedModel((_req, i) =>
      i === 0
        ? toolCalls(...topics.map((topic, n) => ({ id: `c${n}`, name: "lookup_fact", args: { topic } })))
        : reply("Paris on the Seine."),
    );
    const tools = new FactTools();
    const { conversation } = makeConversation({ model, tools });
    const result = await conversation.handle(message({ text: "tell me six things" }), new RecordingSink());
    expect(result.outcome).toBe("answered");
    expect(tools.calls.map((c) => c.call.id)).toEqual(["c0", "c1", "c2", "c3"]);
    const results = model.requests[1]!.messages.filter((m) => m.role === "tool");
    expect(results).toHaveLength(6);
    expect(results.slice(4).map((m) => JSON.parse(String(m.content)).error)).toEqual([
      "too_many_parallel_calls",
      "too_many_parallel_calls",
    ]);
  });

  it("takes the cap from the settings", async () => {
    const model = new ScriptedModel((_req, i) =>
      i === 0
        ? toolCalls(
            ...[0, 1, 2].map((n) => ({ id: `c${n}`, name: "lookup_fact", args: { topic: "capital" } })),
          )
        : reply("Paris."),
    );
    const tools = new FactTools();
    const { conversation } = makeConversation({ model, tools, settings: { maxParallelToolCalls: 1 } });
    await conversation.handle(message({ text: "three lookups" }), new RecordingSink());
    expect(tools.calls).toHaveLength(1);
  });
});
