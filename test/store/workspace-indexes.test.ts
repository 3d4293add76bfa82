/**
 * The per-workspace indexes an uninstall deletes through hold user keys and turn ids: `/forget`
 * takes the person out of them too, so nothing naming them is left behind (docs/privacy.md).
 * Checked on the raw keys of the memory store and of Redis.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HandoffRecord } from "../../src/core/handoff/record.js";
import type { Store } from "../../src/core/ports.js";
import { type ConversationRef, threadKeyOf } from "../../src/core/types.js";
import { silentLogger } from "../../src/log.js";
import { feedbackKeys } from "../../src/store/feedback-keys.js";
import { handoffKeys } from "../../src/store/handoff-keys.js";
import { storeKeys } from "../../src/store/keys.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import { createRedisStore } from "../../src/store/redis/store.js";
import { requires } from "../support/binaries.js";
import {
  deleteKeys,
  startRedis,
  type TestRedis,
  uniquePrefix,
  usingExternalRedis,
} from "../support/redis.js";
import { answered } from "./feedback-contract.js";

const HOUR = 3_600_000;
const needsRedis = requires("redis");
let redis: TestRedis | undefined;
beforeAll(async () => {
  if (!needsRedis.skip) redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const ANA = "slack:E1:UANA";
const BEN = "slack:E1:UBEN";
const where: ConversationRef = { platform: "slack", workspaceId: "T1", channelId: "C1", threadId: "1700.1" };

/** Ana and Ben talk in a shared thread of T1; Ana rates an answer and asks for a person. */
async function talk(store: Store): Promise<void> {
  for (const author of [BEN, ANA]) {
    await store.threads.commit(
      threadKeyOf(where),
      "owner",
      { at: 1, author, entries: [{ role: "user", content: "hello" }] },
      {
        maxTurns: 50,
        ttlMs: HOUR,
        people: { userKeys: [BEN, author], audience: "shared", workspace: "slack:T1" },
      },
    );
  }
  const turn = { ...answered(ANA, "slack:m1"), conversation: where };
  await store.feedback.rememberTurn(turn, HOUR);
  await store.feedback.rate({
    userKey: ANA,
    turnId: turn.turnId,
    rating: "up",
    now: Date.now(),
    ttlMs: HOUR,
  });
  const handoff: HandoffRecord = {
    id: "h1",
    conversation: where,
    userKey: ANA,
    userId: "UANA",
    reason: "asked for a person",
    trigger: "command",
    status: "open",
    openedAt: Date.now(),
  };
  await store.handoffs.open(handoff, HOUR);
}

async function checkForget(store: Store, members: (key: string) => Promise<string[]>, prefix: string) {
  const people = storeKeys(prefix).workspacePeople("slack:T1");
  const ratings = feedbackKeys(prefix).workspace("slack:T1");
  const handoffs = handoffKeys(prefix).workspace("slack:T1");
  await talk(store);
  expect((await members(people)).sort()).toEqual([ANA, BEN].sort());
  expect(await members(ratings)).toHaveLength(1);
  expect(await members(handoffs)).toEqual(["h1"]);

  await store.threads.forgetUser(ANA);
  await store.feedback.forgetUser(ANA);
  await store.handoffs.forgetUser(ANA);

  expect(await members(people)).toEqual([BEN]);
  expect(await members(ratings)).toEqual([]);
  expect(await members(handoffs)).toEqual([]);
}

describe("the workspace indexes after /forget", () => {
  it("no longer name the person who asked to be forgotten, and still name the others (memory)", async () => {
    const store = createMemoryStore({ log: silentLogger() });
    await checkForget(
      store,
      async (key) => (store.keyspace.zset(key) ?? []).map((m) => m.member),
      "chatbot:",
    );
    await store.close();
  });

  it(
    "no longer name the person who asked to be forgotten, and still name the others (Redis)",
    needsRedis,
    async () => {
      if (!redis) throw new Error("redis not started");
      const prefix = uniquePrefix("ws-indexes");
      const store = await createRedisStore({ url: redis.url, prefix, log: silentLogger() });
      const raw = new Redis(redis.url);
      try {
        await checkForget(store, (key) => raw.zrange(key, "0", "-1"), prefix);
      } finally {
        raw.disconnect();
        await store.close();
        if (usingExternalRedis()) await deleteKeys(redis.url, prefix);
      }
    },
  );
});
