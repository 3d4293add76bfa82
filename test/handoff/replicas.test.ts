/**
 * Two replicas of the service on one Redis: whichever replica Slack delivers to (and however often),
 * each message is relayed once and each button acts once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../../src/core/ports.js";
import { silentLogger } from "../../src/log.js";
import { HANDOFF_CLAIM_ACTION_ID } from "../../src/platforms/slack/handoff.js";
import { createRedisStore } from "../../src/store/redis/store.js";
import type { FakeSlack } from "../fakes/slack-api.js";
import { buttonClick, eventEnvelope, messageEvent } from "../fakes/slack-events.js";
import { requires } from "../support/binaries.js";
import {
  deleteKeys,
  startRedis,
  type TestRedis,
  uniquePrefix,
  usingExternalRedis,
} from "../support/redis.js";
import { ScriptedModel } from "../support/scripted-model.js";
import {
  eventually,
  fakeSlackForHandoffs,
  type Replica,
  slackEnv,
  startReplica,
  supportModelScript,
  TEAM_CHANNEL,
} from "./harness.js";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

let fake: FakeSlack | undefined;
const stores: Store[] = [];
const replicas: Replica[] = [];
let prefix = "";
afterEach(async () => {
  for (const r of replicas.splice(0)) await r.close();
  for (const s of stores.splice(0)) await s.close();
  await fake?.close();
  if (usingExternalRedis()) await deleteKeys(redis.url, prefix);
});

describe("hand-offs across two replicas on one Redis", requires("redis"), () => {
  it("relays a team reply, a customer message and a Claim click once, whichever replica gets them", async () => {
    fake = await fakeSlackForHandoffs();
    const f = fake;
    prefix = uniquePrefix();
    const replica = async () => {
      const store = await createRedisStore({ url: redis.url, prefix, log: silentLogger() });
      stores.push(store);
      const r = await startReplica({
        store,
        model: new ScriptedModel((req) => supportModelScript(req)),
        env: slackEnv(f),
      });
      replicas.push(r);
      return r;
    };
    const a = await replica();
    const b = await replica();
    const both = async (send: (r: Replica) => Promise<unknown>) => {
      await Promise.all([send(a), send(b)]);
      await Promise.all([a.slack?.idle(), b.slack?.idle()]);
    };

    await a.delivery?.event(
      eventEnvelope(
        messageEvent({
          channel: "D1",
          channelType: "im",
          user: "U1",
          text: "A person please",
          ts: f.nextTs(),
        }),
      ),
    );
    const announcement = await eventually(() =>
      f.botMessages(TEAM_CHANNEL).find((m) => m.threadTs === undefined),
    );
    await a.slack?.idle();
    await a.service.idle();
    const id = f.buttons(announcement)[0]?.value ?? "";

    // A Claim click reaching both replicas (two people clicking, or a retried request).
    const click = buttonClick({
      fake: f,
      channel: TEAM_CHANNEL,
      user: "U9",
      messageTs: announcement.ts,
      actionId: HANDOFF_CLAIM_ACTION_ID,
      value: id,
    });
    await both((r) => r.delivery?.action(click) ?? Promise.resolve());
    // The same team reply delivered to both replicas, as a Slack retry would.
    const reply = eventEnvelope(
      messageEvent({
        channel: TEAM_CHANNEL,
        user: "U9",
        text: "On it!",
        ts: f.nextTs(),
        threadTs: announcement.ts,
      }),
    );
    await both((r) => r.delivery?.event(reply, { retryNum: r === b ? 1 : 0 }) ?? Promise.resolve());
    // The same customer message delivered to both.
    const msg = eventEnvelope(
      messageEvent({ channel: "D1", channelType: "im", user: "U1", text: "Great, thanks", ts: f.nextTs() }),
    );
    await both((r) => r.delivery?.event(msg) ?? Promise.resolve());

    await eventually(() =>
      f
        .botMessages(TEAM_CHANNEL, announcement.ts)
        .some((m) => /\(customer\): Great, thanks/.test(f.visibleText(m))),
    );
    const dmTexts = f.botMessages("D1").map((m) => f.visibleText(m));
    expect(dmTexts.filter((t) => /has joined/.test(t))).toHaveLength(1);
    expect(dmTexts.filter((t) => /On it!/.test(t))).toHaveLength(1);
    expect(
      f.botMessages(TEAM_CHANNEL, announcement.ts).filter((m) => /Great, thanks/.test(f.visibleText(m))),
    ).toHaveLength(1);
  });
});
