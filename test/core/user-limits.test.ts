/**
 * Per-user limits follow the person, not the workspace: a Discord user is one user in every
 * guild and in DMs; a Slack user of an Enterprise Grid org is one user in every workspace of it.
 */
import { describe, expect, it } from "vitest";
import type { IncomingMessage } from "../../src/core/types.js";
import { silentLogger } from "../../src/log.js";
import { Metrics } from "../../src/metrics.js";
import { routeMessage } from "../../src/platforms/slack/events.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import { createToolRegistry } from "../../src/tools/index.js";
import { makeConversation, message } from "../support/conversation.js";
import { RecordingSink } from "../support/recording-sink.js";
import { reply, ScriptedModel, toolCalls } from "../support/scripted-model.js";
import { baseToolEnv } from "../tools/support.js";

const oneRequest = { throttle: { requests: 1, windowMs: 60_000, dailyTokens: 1_000_000 } };

describe("per-user limits", () => {
  it("throttles a Discord user in a second guild and in DMs after their request in the first", async () => {
    const model = new ScriptedModel(() => reply("ok"));
    const { conversation } = makeConversation({ model, settings: oneRequest });
    const discord = (workspaceId: string, overrides: Partial<IncomingMessage> = {}) =>
      message({ platform: "discord", workspaceId, userId: "4242", kind: "mention", ...overrides });

    expect((await conversation.handle(discord("G1"), new RecordingSink())).outcome).toBe("answered");
    expect((await conversation.handle(discord("G2"), new RecordingSink())).outcome).toBe("throttled");
    expect((await conversation.handle(discord("@dm", { kind: "dm" }), new RecordingSink())).outcome).toBe(
      "throttled",
    );
    expect(model.requests).toHaveLength(1);
  });

  it("shares one daily token budget across a Discord user's guilds", async () => {
    const model = new ScriptedModel(() => reply("ok")); // 70 tokens per answer
    const { conversation } = makeConversation({
      model,
      settings: { throttle: { requests: 100, windowMs: 60_000, dailyTokens: 100 } },
    });
    for (const guild of ["G1", "G2"]) {
      await conversation.handle(
        message({ platform: "discord", workspaceId: guild, userId: "4242" }),
        new RecordingSink(),
      );
    }
    const sink = new RecordingSink();
    const third = await conversation.handle(
      message({ platform: "discord", workspaceId: "G3", userId: "4242" }),
      sink,
    );
    expect(third.outcome).toBe("throttled");
    expect(sink.notices[0]).toMatch(/today's answer budget/);
  });

  it("counts a Slack Enterprise Grid user once across the org's workspaces, and apart in other orgs", async () => {
    const model = new ScriptedModel(() => reply("ok"));
    const { conversation } = makeConversation({ model, settings: oneRequest });
    const bot = { teamId: "T1", botUserId: "U0BOT" };
    let ts = 1_700_000_000;
    const mention = (team: string, enterprise: string | undefined) => {
      const ev = {
        type: "app_mention" as const,
        channel: "C1",
        ts: `${ts++}.000100`,
        user: "W123",
        text: "<@U0BOT> hi",
      };
      const route = routeMessage(ev, bot, team, enterprise);
      if (route.action !== "answer") throw new Error("not answered");
      return conversation.handle(route.msg, new RecordingSink());
    };

    expect((await mention("T1", "E1")).outcome).toBe("answered");
    expect((await mention("T2", "E1")).outcome).toBe("throttled");
    // Outside Grid, a workspace is its own realm of user ids.
    expect((await mention("T3", undefined)).outcome).toBe("answered");
  });

  it("counts a Discord user's failed order lookups together in every guild", async () => {
    const log = silentLogger();
    const store = createMemoryStore({ log });
    const tools = createToolRegistry({
      env: { ...baseToolEnv, ORDER_LOOKUP_FAILURES_PER_HOUR: 2 },
      kv: store.kv,
      log,
      metrics: new Metrics(),
    });
    const results: string[] = [];
    const model = new ScriptedModel((req, i) => {
      const last = req.messages[req.messages.length - 1];
      if (last?.role === "tool") {
        results.push(last.content);
        return reply("done");
      }
      return toolCalls({
        id: `call${i}`,
        name: "get_order_status",
        args: { order_id: "1042", email: "wrong@example.com" },
      });
    });
    const { conversation } = makeConversation({ model, store, tools });
    for (const guild of ["G1", "G2", "G3"]) {
      await conversation.handle(
        message({ platform: "discord", workspaceId: guild, userId: "4242", threadId: guild }),
        new RecordingSink(),
      );
    }
    expect(results).toHaveLength(3);
    expect(results[0]).toContain("order_not_found");
    expect(results[1]).toContain("order_not_found");
    expect(results[2]).toContain("too_many_failed_lookups");
  });
});
