/**
 * A replica killed (SIGKILL: no shutdown code runs) in the middle of an answer. Its thread lock
 * expires after LOCK_TTL_MS, so the other replica serves the thread's next message; and the half-
 * written answer does not claim to be in progress forever: the turn's marker in Redis outlives the
 * lock, and whoever finds it first (the next message of the thread, or the periodic sweep of any
 * replica) finalizes the Slack message with a notice (src/core/orphans.ts, platforms/slack/orphans.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ORPHAN_NOTICE } from "../../src/core/orphans.js";
import type { RespondHook } from "../../src/llm/demo/server.js";
import type { FakeMessage } from "../fakes/slack-api.js";
import { requires } from "../support/binaries.js";
import { startRedis, type TestRedis } from "../support/redis.js";
import {
  answersIn,
  deliver,
  echoAnswer,
  echoingLlm,
  isFinal,
  postMention,
  postReply,
  questionOf,
  type Replica,
  type ReplicaSet,
  startReplicaSet,
  waitFor,
} from "../support/replicas.js";

/** Short, so the test does not wait long for the dead replica's lock (the minimum is 1000). */
const LOCK_TTL_MS = 1500;
/** Words of the answer that is cut by the kill: at SLOW_INTERVAL_MS each, far longer than the test. */
const SLOW_WORDS = 400;
const SLOW_INTERVAL_MS = 100;

/** Questions starting with "slow" get a long, slowly streamed answer; others an immediate echo. */
const llmScript: RespondHook = (req, ctx) => {
  const { question } = questionOf(req.messages);
  if (!question.startsWith("slow")) return echoingLlm()(req, ctx);
  return {
    kind: "stream",
    parts: Array.from({ length: SLOW_WORDS }, (_, i) => ({ text: `${i === 0 ? "" : " "}word${i}` })),
    intervalMs: SLOW_INTERVAL_MS,
  };
};

let redis: TestRedis;
let set: ReplicaSet | undefined;

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await set?.close();
  set = undefined;
});
afterAll(async () => {
  await redis?.stop();
});

async function startPair(envA: Record<string, string>, envB: Record<string, string>) {
  set = await startReplicaSet({
    redis,
    replicas: 0,
    respond: llmScript,
    env: { LOCK_TTL_MS: String(LOCK_TTL_MS) },
    // Streams must outlive the test (the fake otherwise closes them after 10 s, scaled).
    fakeSlack: { streamLifetimeMs: 300_000 },
  });
  const a = await set.startReplica(envA);
  const b = await set.startReplica(envB);
  return { set, a, b };
}

/** Kill `replica` once its answer in `thread` shows a few words; returns that answer's message. */
async function killMidAnswer(s: ReplicaSet, replica: Replica, thread: { channel: string; threadTs: string }) {
  const msg = await waitFor("the slow answer to show some words", () => {
    const m = answersIn(s.slack, thread)[0];
    return m && /word2\b/.test(s.slack.visibleText(m)) ? m : undefined;
  });
  replica.child.kill("SIGKILL");
  await replica.exited;
  return msg;
}

/** The message kept what the user saw, lost its Stop button, and says it was interrupted. */
function expectFinalizedWithNotice(s: ReplicaSet, msg: FakeMessage) {
  const text = s.slack.visibleText(msg);
  expect(isFinal(s.slack, msg)).toBe(true);
  expect(text).toMatch(/^word0 word1 word2\b/);
  expect(text).toContain(ORPHAN_NOTICE);
  expect(text).not.toContain(`word${SLOW_WORDS - 1}`);
}

describe("a replica killed mid-answer", requires("redis"), () => {
  it("lets the other replica answer the thread's next message and finalizes the cut answer", async () => {
    // A posts and edits (Stop button while streaming); B's sweep is too rare to play a part here.
    const { set: s, a, b } = await startPair({ SLACK_NATIVE_STREAMING: "false" }, {});
    const root = postMention(s.slack, "C1", "U1", "slow question");
    await deliver(root, [a]);
    const cut = await killMidAnswer(s, a, root);
    expect(s.slack.buttons(cut).map((btn) => btn.text)).toEqual(["Stop"]);

    const next = postReply(s.slack, "C1", root.threadTs, "U1", "next question");
    const results = await deliver(next, [b]);
    expect(results.map((r) => r.status)).toEqual([200]);

    const answer = await waitFor("B to answer the next message", () => {
      const m = answersIn(s.slack, root)[1];
      return m && isFinal(s.slack, m) ? m : undefined;
    });
    expect(s.slack.visibleText(answer)).toBe(echoAnswer("next question", []));
    await waitFor("the cut answer to be finalized", () => s.slack.buttons(cut).length === 0);
    expectFinalizedWithNotice(s, cut);
    // B logs the finalization after the Slack call that shows it returns.
    await waitFor("B to log the finalization", () =>
      b.lines.some((l) => l.includes("finalized the message of a dead turn")),
    );
    expect(answersIn(s.slack, root)).toHaveLength(2);
  });

  it("has a surviving replica's sweep finalize a cut native stream when nobody writes again", async () => {
    const { set: s, a, b } = await startPair({}, { ORPHAN_SWEEP_INTERVAL_MS: "200" });
    const root = postMention(s.slack, "C1", "U1", "slow question");
    await deliver(root, [a]);
    const cut = await killMidAnswer(s, a, root);
    expect(cut.stream?.state).toBe("open");

    await waitFor("the sweep to close the stream", () => cut.stream?.state === "stopped");
    expectFinalizedWithNotice(s, cut);
    // B logs the finalization after the Slack call that shows it returns.
    await waitFor("B to log the finalization", () =>
      b.lines.some((l) => l.includes("finalized the message of a dead turn")),
    );

    // The thread is free again: B answers the next message, and the dead turn is not finalized twice.
    const next = postReply(s.slack, "C1", root.threadTs, "U1", "next question");
    await deliver(next, [b]);
    const answer = await waitFor("B to answer the next message", () => {
      const m = answersIn(s.slack, root)[1];
      return m && isFinal(s.slack, m) ? m : undefined;
    });
    expect(s.slack.visibleText(answer)).toBe(echoAnswer("next question", []));
    expect(b.lines.filter((l) => l.includes("finalized the message of a dead turn"))).toHaveLength(1);
  });
});
