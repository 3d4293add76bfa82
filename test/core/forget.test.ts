/**
 * `/forget` through the core, on the memory store and on Redis: people talk to the bot in a DM
 * and in shared threads, then one of them asks to be forgotten. Their DM goes, their turns in
 * shared threads go, and everyone else's turns and conversations stay.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgetReport } from "../../src/core/forget.js";
import type { PersonalRecords, Store } from "../../src/core/ports.js";
import { type IncomingMessage, threadKeyOf, userKeyOf } from "../../src/core/types.js";
import { silentLogger } from "../../src/log.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import { createRedisStore } from "../../src/store/redis/store.js";
import { requires } from "../support/binaries.js";
import { makeConversation, message } from "../support/conversation.js";
import { RecordingSink } from "../support/recording-sink.js";
import {
  deleteKeys,
  startRedis,
  type TestRedis,
  uniquePrefix,
  usingExternalRedis,
} from "../support/redis.js";
import { reply, ScriptedModel } from "../support/scripted-model.js";

const needsRedis = requires("redis");
let redis: TestRedis | undefined;
beforeAll(async () => {
  if (!needsRedis.skip) redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const answering = () => new ScriptedModel(() => reply("Sure."));

/** Slack: Ana's DM, a channel thread Ana and Ben share, a thread only Ana asked in, Ben's DM. */
const ana = { userId: "UANA", userScope: "T1" };
const ben = { userId: "UBEN", userScope: "T1" };
const place = (threadId: string, shared: boolean): Partial<IncomingMessage> => ({
  platform: "slack",
  workspaceId: "T1",
  channelId: shared ? "C1" : `D-${threadId}`,
  threadId,
  kind: shared ? "mention" : "dm",
  audience: shared ? "shared" : "private",
});
const anaDm = place("dm-ana", false);
const benDm = place("dm-ben", false);
const together = place("1700.1", true);
const anaAlone = place("1700.2", true);

/** A store for one test; its close also removes the keys it wrote to a Redis it does not own. */
const stores: [
  string,
  () => Promise<{ store: Store; close(): Promise<void> }>,
  typeof needsRedis | object,
][] = [
  [
    "memory",
    async () => {
      const store = createMemoryStore({ log: silentLogger() });
      return { store, close: () => store.close() };
    },
    {},
  ],
  [
    "redis",
    async () => {
      const url = redis!.url;
      const prefix = uniquePrefix("forget");
      const store = await createRedisStore({ url, prefix, log: silentLogger() });
      return {
        store,
        async close() {
          await store.close();
          if (usingExternalRedis()) await deleteKeys(url, prefix);
        },
      };
    },
    needsRedis,
  ],
];

for (const [name, open, options] of stores) {
  describe(`forgetting a person (${name} store)`, options, () => {
    it("deletes their DM and their turns in two shared threads, and leaves other people's turns and conversations", async () => {
      const { store, close } = await open();
      const { conversation } = makeConversation({ model: answering(), store });
      const say = async (where: Partial<IncomingMessage>, who: typeof ana, text: string) => {
        const result = await conversation.handle(message({ ...where, ...who, text }), new RecordingSink());
        expect(result.outcome).toBe("answered");
      };
      await say(anaDm, ana, "ana's private question");
      await say(together, ben, "ben's shared question");
      await say(together, ana, "ana's shared question");
      await say(together, ben, "ben's follow-up");
      await say(anaAlone, ana, "ana alone in a channel");
      await say(benDm, ben, "ben's private question");
      const questions = async (where: Partial<IncomingMessage>) =>
        (await store.threads.load(threadKeyOf(message(where)))).map((t) => t.entries[0]?.content);

      const result = await conversation.personalData.forget(userKeyOf({ platform: "slack", ...ana }), {
        by: userKeyOf({ platform: "slack", ...ana }),
        as: "self",
      });

      expect(result).toEqual({ deleted: [{ kind: "conversations", count: 3 }], failed: [] });
      expect(forgetReport(result)).toBe("Deleted your data: 3 conversations.");
      expect(await questions(anaDm)).toEqual([]);
      expect(await questions(anaAlone)).toEqual([]);
      expect(await questions(together)).toEqual(["ben's shared question", "ben's follow-up"]);
      expect(await questions(benDm)).toEqual(["ben's private question"]);
      await close();
    });
  });
}

describe("what the person is told after /forget", () => {
  it("says there was nothing to delete rather than listing zero counts", () => {
    const none = { deleted: [{ kind: "conversations", count: 0 }], failed: [] };
    expect(forgetReport(none)).toBe("There was nothing of your data to delete.");
    const some = {
      deleted: [
        { kind: "conversations", count: 2 },
        { kind: "ratings", count: 0 },
      ],
      failed: [],
    };
    expect(forgetReport(some)).toBe("Deleted your data: 2 conversations.");
  });
});

describe("forgetting across every part that keeps records about people", () => {
  it("counts each kind, and names the kinds it could not delete while deleting the rest", async () => {
    const store = createMemoryStore({ log: silentLogger() });
    const { conversation } = makeConversation({ model: answering(), store });
    await conversation.handle(message({ userId: "u9", text: "hi" }), new RecordingSink());
    const asked: string[] = [];
    const ratings: PersonalRecords = {
      kind: "ratings",
      forgetUser: async (userKey) => {
        asked.push(userKey);
        return 2;
      },
    };
    const handoffs: PersonalRecords = {
      kind: "hand-off requests",
      forgetUser: async () => {
        throw new Error("store down");
      },
    };
    conversation.personalData.register(ratings);
    conversation.personalData.register(handoffs);

    const result = await conversation.personalData.forget("web:u9", { by: "web:u9", as: "self" });

    expect(asked).toEqual(["web:u9"]);
    expect(result).toEqual({
      deleted: [
        { kind: "conversations", count: 1 },
        { kind: "ratings", count: 2 },
      ],
      failed: ["hand-off requests"],
    });
    expect(forgetReport(result)).toBe(
      "Deleted your data: 1 conversation, 2 ratings.\nCould not delete your hand-off requests just now; please try again in a minute.",
    );
    await store.close();
  });
});
