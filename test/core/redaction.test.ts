/**
 * REDACT_BEFORE_MODEL: what the model is sent holds placeholders; tools, the answer the person
 * reads and the saved history hold the real values. The round trip runs through the real OpenAI
 * client against the fake OpenAI server, with the real order tool.
 */
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { RedactionSession } from "../../src/core/redaction/redactor.js";
import { threadKeyOf } from "../../src/core/types.js";
import { createTestModel, type DemoLlmServer, llm, scripted, startFakeLlm } from "../fakes/llm.js";
import { makeConversation, message } from "../support/conversation.js";
import { orderRegistry, privateOrder } from "../support/private-orders.js";
import { RecordingSink } from "../support/recording-sink.js";
import { reply, ScriptedModel } from "../support/scripted-model.js";

const ALL = ["emails", "phones", "cards"] as const;

describe("what counts as an email, a phone or a card", () => {
  const redact = (text: string) => new RedactionSession(ALL).redact(text);

  it("replaces emails, international and national phone numbers, and Luhn-valid card numbers", () => {
    expect(redact("mail ana.lima+shop@example.co.uk please")).toBe("mail [email 1] please");
    expect(redact("call +44 20 7946 0958 or +14155552671")).toBe("call [phone 1] or [phone 2]");
    expect(redact("US (415) 555-2671, 415-555-2671, 415.555.2671")).toBe(
      "US [phone 1], [phone 2], [phone 3]",
    );
    expect(redact("UK 020 7946 0958, FR 06 12 34 56 78, DE 030-1234567")).toBe(
      "UK [phone 1], FR [phone 2], DE [phone 3]",
    );
    expect(redact("card 4111 1111 1111 1111 and 5500-0000-0000-0004")).toBe("card [card 1] and [card 2]");
  });

  it("leaves order ids, tracking numbers, dates, times, prices and non-Luhn digit runs alone", () => {
    const plain = [
      "order 1031 and order #4155552671",
      "ORD-415-555-2671",
      "tracking 1ZUD64419977610646",
      "on 2024-01-15, 15.01.2024, 15/01/2024 or 01-02-2024 at 10:30",
      "total 1234.56 USD",
      "4111 1111 1111 1112 is not a card",
      "nor is 1111 1111 1111 1117 (Luhn-valid, but no card network starts with 1)",
      "invoice 20240115123456",
      "ticket 104-118-2231 and range 100-200-3000 (no NANP area code or exchange starts 0 or 1)",
    ];
    for (const text of plain) expect(redact(text)).toBe(text);
  });

  it("gives one value the same placeholder everywhere in a turn, and restores it", () => {
    const session = new RedactionSession(["emails"]);
    expect(session.redact("a@x.io, b@x.io, a@x.io")).toBe("[email 1], [email 2], [email 1]");
    expect(session.redact("again a@x.io")).toBe("again [email 1]");
    expect(session.restore("Mail [email 2] and [Email 1]; [email 9] is unknown")).toBe(
      "Mail b@x.io and a@x.io; [email 9] is unknown",
    );
  });

  it("restores a placeholder that arrives split over streamed deltas", () => {
    const session = new RedactionSession(["emails"]);
    session.redact("ana@example.com");
    const stream = session.streamRestorer();
    const out = ["I wrote to [em", "ail ", "1", "] and [not a placeholder", "] ok [ema"].map((d) =>
      stream.push(d),
    );
    expect(out.join("") + stream.flush()).toBe("I wrote to ana@example.com and [not a placeholder] ok [ema");
  });

  it("only redacts the kinds it is asked for", () => {
    expect(new RedactionSession(["cards"]).redact("ana@example.com 4111111111111111")).toBe(
      "ana@example.com [card 1]",
    );
  });

  it("refuses an unknown kind in REDACT_BEFORE_MODEL at start, naming the variable", () => {
    expect(() => loadConfig({ REDACT_BEFORE_MODEL: "emails,ssn" })).toThrow(/REDACT_BEFORE_MODEL/);
    expect(loadConfig({ REDACT_BEFORE_MODEL: " Emails, cards,emails " }).env.REDACT_BEFORE_MODEL).toEqual([
      "emails",
      "cards",
    ]);
    expect(loadConfig({}).env.REDACT_BEFORE_MODEL).toEqual([]);
  });
});

describe("a turn with REDACT_BEFORE_MODEL", () => {
  let server: DemoLlmServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("shows the model placeholders, runs the tool with the real email, and shows the person the real value", async () => {
    server = await startFakeLlm({
      respond: scripted(
        llm.toolCalls([{ name: "get_order_status", arguments: '{"order_id":"7001","email":"[email 1]"}' }]),
        llm.text(["Order 7001 has shipped. I will write to [em", "ail 1] when it arrives."]),
      ),
    });
    const { model } = createTestModel(server.url);
    const tools = orderRegistry([privateOrder("web:someone-else")]);
    const { conversation, store } = makeConversation({ model, tools, settings: { redact: ALL } });
    const sink = new RecordingSink();
    const msg = message({ text: "Where is order 7001? My email is ben@example.com, phone +44 20 7946 0958" });

    const result = await conversation.handle(msg, sink);

    expect(result.outcome).toBe("answered");
    const sent = JSON.stringify(server.requests);
    expect(sent).not.toContain("ben@example.com");
    expect(sent).not.toContain("7946");
    expect(sent).toContain("My email is [email 1], phone [phone 1]");
    // The tool matched the order's real email: its result (tracking number) reached the model.
    expect(sent).toContain("1ZSECRET777");
    expect(sink.answer).toBe("Order 7001 has shipped. I will write to ben@example.com when it arrives.");
    const saved = JSON.stringify(await store.threads.load(threadKeyOf(msg)));
    expect(saved).toContain("My email is ben@example.com, phone +44 20 7946 0958");
    expect(saved).toContain('\\"email\\":\\"ben@example.com\\"');
    expect(saved).not.toContain("[email 1]");
  });

  it("redacts the stored history again on the next turn", async () => {
    server = await startFakeLlm({ respond: scripted(llm.text(["Noted."]), llm.text(["Still noted."])) });
    const { model } = createTestModel(server.url);
    const { conversation } = makeConversation({ model, settings: { redact: ["emails"] } });
    await conversation.handle(message({ text: "I am ana@example.com" }), new RecordingSink());
    await conversation.handle(message({ text: "and what was my email?" }), new RecordingSink());
    expect(server.requests).toHaveLength(2);
    expect(JSON.stringify(server.requests[1])).toContain("I am [email 1]");
    expect(JSON.stringify(server.requests)).not.toContain("ana@example.com");
  });

  it("keeps the values out of a /summarize transcript too, and restores them in the summary", async () => {
    const model = new ScriptedModel(() => reply("Ana asked to be called on [phone 1]."));
    const { conversation } = makeConversation({ model, settings: { redact: ALL } });
    const sink = new RecordingSink();
    const result = await conversation.summarize({
      platform: "slack",
      workspaceId: "T1",
      channelId: "C1",
      userId: "U1",
      requestId: "trigger-1",
      lines: [{ author: "ana", text: "call me on +44 20 7946 0958 please", at: 1_700_000_000_000 }],
      sink,
      subject: "#general",
    });
    expect(result.outcome).toBe("answered");
    expect(JSON.stringify(model.requests)).not.toContain("7946");
    expect(JSON.stringify(model.requests)).toContain("call me on [phone 1] please");
    expect(sink.answer).toContain("Ana asked to be called on +44 20 7946 0958.");
  });
});
