/**
 * Whether a message addressed to the bot is answered: DM and follow-up modes, the file's lists,
 * an admin's switch (stored, cached CACHE_MS per process), and no store reads without a file.
 */
import { describe, expect, it } from "vitest";
import { CACHE_MS, ChannelSwitches } from "../../../src/core/policy/channel-switches.js";
import { type ReplyPlace, ReplyRules } from "../../../src/core/policy/replies.js";
import type { KeyValueStore } from "../../../src/core/ports.js";
import { silentLogger } from "../../../src/log.js";
import { createMemoryStore } from "../../../src/store/memory/store.js";
import { policiesFrom } from "./fixtures.js";

/** The memory store's key-value part, counting reads (each a Redis round trip in production). */
function countingKv(): { kv: KeyValueStore; reads: () => number } {
  const inner = createMemoryStore({ log: silentLogger() }).kv;
  let reads = 0;
  return {
    kv: {
      get: (key) => {
        reads++;
        return inner.get(key);
      },
      set: (key, value, ttlMs) => inner.set(key, value, ttlMs),
      increment: (key, ttlMs, by) => inner.increment(key, ttlMs, by),
    },
    reads: () => reads,
  };
}

const place = (more: Partial<ReplyPlace> = {}): ReplyPlace => ({
  platform: "slack",
  workspaceId: "T1",
  channelId: "C1",
  userId: "U1",
  kind: "mention",
  ...more,
});
const addressed = { mentioned: true, followup: false };
const followup = { mentioned: false, followup: true };

describe("who gets an answer", () => {
  it("follows the DM mode: open, mention-only, off", async () => {
    const { kv } = countingKv();
    const rules = (dms: string) =>
      new ReplyRules(policiesFrom(`defaults: { dms: ${dms} }`), new ChannelSwitches(kv, silentLogger()));
    const dm = place({ kind: "dm", channelId: "D1" });
    expect(await rules("open").decide(dm, { mentioned: false, followup: false })).toEqual({ answer: true });
    expect((await rules("mention").decide(dm, { mentioned: false, followup: false })).answer).toBe(false);
    expect(await rules("mention").decide(dm, addressed)).toEqual({ answer: true });
    expect((await rules("off").decide(dm, addressed)).answer).toBe(false);
    // Channels are not DMs.
    expect(await rules("off").decide(place(), addressed)).toEqual({ answer: true });
  });

  it("answers follow-ups without a mention only where follow-ups are `any`", async () => {
    const { kv } = countingKv();
    const rules = new ReplyRules(
      policiesFrom(
        "platforms:\n  slack:\n    workspaces:\n      T1:\n        channels:\n          C2: { followups: mention }\n",
      ),
      new ChannelSwitches(kv, silentLogger()),
    );
    expect(await rules.decide(place(), followup)).toEqual({ answer: true });
    expect((await rules.decide(place({ channelId: "C2" }), followup)).answer).toBe(false);
    expect(await rules.decide(place({ channelId: "C2" }), addressed)).toEqual({ answer: true });
  });

  it("applies a channel's policy and switch to a conversation keyed by one of its threads", async () => {
    const { kv } = countingKv();
    const policies = policiesFrom(
      "platforms:\n  discord:\n    workspaces:\n      G1:\n        channels:\n          C1: { model: gpt-4o }\n",
    );
    const rules = new ReplyRules(policies, new ChannelSwitches(kv, silentLogger()));
    const inThread = place({
      platform: "discord",
      workspaceId: "G1",
      channelId: "TH1",
      parentChannelId: "C1",
    });
    await rules.switches.set({ platform: "discord", workspaceId: "G1", channelId: "C1" }, "off");
    expect(await rules.decide(inThread, addressed)).toEqual({
      answer: false,
      reason: "switched off by an admin",
    });
    const turn = policies.forTurn({ ...inThread, threadId: "TH1", messageId: "m1", text: "hi" });
    expect(turn?.model).toBe("gpt-4o");
  });

  it("reads nothing from the store without a policy file, and keeps SLACK_THREAD_FOLLOWUPS", async () => {
    const { kv, reads } = countingKv();
    const base = {
      throttle: { requests: 1, windowMs: 1, dailyTokens: 1 },
      historyTtlMs: 1,
      followups: { slack: "mention", discord: "any", web: "any" } as const,
    };
    const rules = new ReplyRules(policiesFrom(null, base), new ChannelSwitches(kv, silentLogger()));
    expect(await rules.decide(place(), addressed)).toEqual({ answer: true });
    expect((await rules.decide(place(), followup)).answer).toBe(false);
    expect(await rules.decide(place({ platform: "discord", workspaceId: "G1" }), followup)).toEqual({
      answer: true,
    });
    expect(reads()).toBe(0);
  });

  it("lets an admin's switch override the file, read once per channel per cache period", async () => {
    const { kv, reads } = countingKv();
    let now = 1_000_000;
    const file = "platforms:\n  slack:\n    denyChannels: [C9]\n";
    const writer = new ReplyRules(policiesFrom(file), new ChannelSwitches(kv, silentLogger(), () => now));
    const reader = new ReplyRules(policiesFrom(file), new ChannelSwitches(kv, silentLogger(), () => now));

    expect(await reader.decide(place(), addressed)).toEqual({ answer: true });
    await writer.switches.set(place(), "off");
    expect(await writer.decide(place(), addressed)).toEqual({
      answer: false,
      reason: "switched off by an admin",
    });
    // The other process cached "no switch" a moment ago: it learns of the switch once that expires.
    const before = reads();
    expect(await reader.decide(place(), addressed)).toEqual({ answer: true });
    expect(reads()).toBe(before);
    now += CACHE_MS;
    expect((await reader.decide(place(), addressed)).answer).toBe(false);

    await writer.switches.set(place({ channelId: "C9" }), "on");
    expect(await writer.decide(place({ channelId: "C9" }), addressed)).toEqual({ answer: true });
    await writer.switches.set(place({ channelId: "C9" }), null);
    expect((await writer.decide(place({ channelId: "C9" }), addressed)).answer).toBe(false);
  });

  it("keeps a person the file turns off out of a channel an admin switched on", async () => {
    const { kv } = countingKv();
    const rules = new ReplyRules(
      policiesFrom(
        "platforms:\n  slack:\n    denyChannels: [C9]\n    users:\n      UBLOCKED: { enabled: false }\n",
      ),
      new ChannelSwitches(kv, silentLogger()),
    );
    await rules.switches.set(place({ channelId: "C9" }), "on");
    expect(await rules.decide(place({ channelId: "C9" }), addressed)).toEqual({ answer: true });
    expect(await rules.decide(place({ channelId: "C9", userId: "UBLOCKED" }), addressed)).toEqual({
      answer: false,
      reason: "policy: platforms.slack.users.UBLOCKED.enabled",
    });
    expect((await rules.here(place({ channelId: "C9", userId: "UBLOCKED" }))).answers).toBe(false);
  });
});
