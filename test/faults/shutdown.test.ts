/**
 * SIGTERM while answers stream (a rolling deploy, a node drained): the replica stops taking events
 * (Slack then retries them, and another replica answers), lets running answers finish up to
 * SHUTDOWN_DEADLINE_MS, stops the rest with a notice, releases every thread lock (so the other
 * replica answers those threads at once) and exits 0. A second signal exits at once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SUFFIX } from "../../src/core/notices.js";
import type { RespondHook } from "../../src/llm/demo/server.js";
import { requires } from "../support/binaries.js";
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
  type UserPost,
  waitFor,
} from "../support/replicas.js";
import { Gate } from "../support/scripted-model.js";

/**
 * A lock left behind by the stopping replica would hold its thread this long, while the other
 * replica gives a message only LOCK_WAIT_MS before answering "still working": a follow-up that is
 * answered proves the lock was released.
 */
const LOCK_TTL_MS = 60_000;
const LOCK_WAIT_MS = 5_000;
/**
 * "steady" answers stream three words, then hold until the test opens `steady` (after SIGTERM),
 * then finish in about STEADY_WORDS x 60 ms; "endless" ones take far longer than any test.
 */
const STEADY_WORDS = 25;
const ENDLESS_WORDS = 400;

let steady = new Gate();

const llmScript: RespondHook = (req, ctx) => {
  const { question } = questionOf(req.messages);
  if (question.startsWith("steady")) {
    const words = `${echoAnswer(question, [])} ${Array.from({ length: STEADY_WORDS }, (_, i) => `w${i}`).join(" ")}`;
    return {
      kind: "stream",
      parts: words.split(" ").map((w, i) => ({ text: i === 0 ? w : ` ${w}` })),
      intervalMs: 60,
      hold: { afterParts: 3, until: steady.opened },
    };
  }
  if (question.startsWith("endless")) {
    return {
      kind: "stream",
      parts: Array.from({ length: ENDLESS_WORDS }, (_, i) => ({ text: `${i === 0 ? "" : " "}word${i}` })),
      intervalMs: 100,
    };
  }
  return echoingLlm()(req, ctx);
};

let set: ReplicaSet;
/** The replica that stays up; each test starts (and stops) its own replica A. */
let b: Replica;
let a: Replica | undefined;

beforeAll(async () => {
  set = await startReplicaSet({
    replicas: 0,
    channels: ["C1", "C2"],
    users: ["U1", "U2"],
    respond: llmScript,
    env: {
      LOCK_TTL_MS: String(LOCK_TTL_MS),
      LOCK_WAIT_MS: String(LOCK_WAIT_MS),
      // One user writes every message of this file.
      THROTTLE_REQUESTS: "1000",
    },
    fakeSlack: { streamLifetimeMs: 300_000 },
  });
  b = await set.startReplica();
});
afterEach(async () => {
  await a?.stop("SIGKILL");
  a = undefined;
});
afterAll(async () => {
  await set?.close();
});

/** Wait until the first answer in each thread shows some text while still streaming. */
async function waitStreaming(posts: UserPost[]): Promise<void> {
  await waitFor("every answer to be streaming", () =>
    posts.every((p) => {
      const m = answersIn(set.slack, p)[0];
      return m && !isFinal(set.slack, m) && /\s\S+\s\S+/.test(set.slack.visibleText(m));
    }),
  );
}

/** Deliver to a stopping replica: its HTTP status, or 0 when the connection is refused or reset. */
async function tryDeliver(post: UserPost, to: Replica): Promise<number[]> {
  return Promise.all(
    post.envelopes.map((envelope) =>
      to.slack.event(envelope).then(
        (r) => r.status,
        () => 0,
      ),
    ),
  );
}

/** The other replica answers a follow-up in each thread, with the earlier turn in its history. */
async function expectFollowUpsAnswered(posts: UserPost[], question: (i: number) => string): Promise<void> {
  const followUps = posts.map((p, i) => postReply(set.slack, p.channel, p.threadTs, "U1", `after-${i}`));
  await Promise.all(followUps.map((f) => deliver(f, [b])));
  for (const [i, f] of followUps.entries()) {
    const answer = await waitFor(`B to answer the follow-up in thread ${i}`, () => {
      const m = answersIn(set.slack, f)[1];
      return m && isFinal(set.slack, m) ? m : undefined;
    });
    expect(set.slack.visibleText(answer)).toBe(echoAnswer(`after-${i}`, [question(i)]));
  }
  const busy = set.slack.ephemerals.filter((e) => e.text.includes("still working on an earlier message"));
  expect(busy).toEqual([]);
}

describe("graceful shutdown on SIGTERM", requires("redis"), () => {
  it("refuses new events, lets running answers finish, releases the threads and exits 0", async () => {
    steady = new Gate();
    a = await set.startReplica({ SHUTDOWN_DEADLINE_MS: "30000" });
    const running = [0, 1, 2].map((i) => postMention(set.slack, "C1", "U1", `steady-${i}`));
    await Promise.all(running.map((p) => deliver(p, [a as Replica])));
    await waitStreaming(running);

    a.child.kill("SIGTERM");
    await waitFor("A to start shutting down", () =>
      a?.lines.some((l) => l.includes('"msg":"shutting down"')),
    );
    // The running answers go on only now, so they certainly run through the shutdown.
    steady.open();
    // Slack's delivery of a new post is not acknowledged (503, or the connection is refused)...
    const late = postMention(set.slack, "C2", "U2", "late question");
    const statuses = await tryDeliver(late, a);
    for (const status of statuses) expect([0, 503]).toContain(status);
    // ...so Slack retries it, and the balancer hands it to the replica that stays up.
    await deliver(late, [b]);

    expect(await a.exited).toBe(0);
    expect(a.lines.join("\n")).toContain("shutdown complete");
    for (const [i, post] of running.entries()) {
      const answers = answersIn(set.slack, post);
      expect(answers).toHaveLength(1);
      const [answer] = answers;
      expect(answer && isFinal(set.slack, answer)).toBe(true);
      // The whole answer, not cut short.
      expect(answer && set.slack.visibleText(answer)).toMatch(
        new RegExp(`^answer to steady-${i} after nothing .* w${STEADY_WORDS - 1}$`),
      );
    }
    const lateAnswer = await waitFor("B to answer the refused post", () => {
      const m = answersIn(set.slack, late)[0];
      return m && isFinal(set.slack, m) ? m : undefined;
    });
    expect(set.slack.visibleText(lateAnswer)).toBe(echoAnswer("late question", []));
    expect(answersIn(set.slack, late)).toHaveLength(1);
    await expectFollowUpsAnswered(running, (i) => `steady-${i}`);
  });

  it("stops answers still running at the deadline with a restart notice, and releases their threads", async () => {
    a = await set.startReplica({ SHUTDOWN_DEADLINE_MS: "1000" });
    const running = [0, 1].map((i) => postMention(set.slack, "C1", "U1", `endless-${i}`));
    await Promise.all(running.map((p) => deliver(p, [a as Replica])));
    await waitStreaming(running);

    a.child.kill("SIGTERM");
    expect(await a.exited).toBe(0);
    for (const post of running) {
      const [answer] = answersIn(set.slack, post);
      expect(answer && isFinal(set.slack, answer)).toBe(true);
      const text = answer ? set.slack.visibleText(answer) : "";
      expect(text).toMatch(/^word0 word1 word2\b/);
      expect(text).toContain(SUFFIX.shutdown);
      expect(text).not.toContain(`word${ENDLESS_WORDS - 1}`);
    }
    // What the user saw of the stopped answers is the thread's history on the other replica.
    await expectFollowUpsAnswered(running, (i) => `endless-${i}`);
  });

  it("exits at once with a non-zero code on a second signal", async () => {
    a = await set.startReplica({ SHUTDOWN_DEADLINE_MS: "60000" });
    const running = [postMention(set.slack, "C1", "U1", "endless-forced")];
    await deliver(running[0] as UserPost, [a]);
    await waitStreaming(running);

    a.child.kill("SIGTERM");
    await waitFor("A to start shutting down", () =>
      a?.lines.some((l) => l.includes('"msg":"shutting down"')),
    );
    a.child.kill("SIGTERM");
    // Without the second signal this would wait for the 60 s deadline (past the test's timeout).
    expect(await a.exited).toBe(1);
    expect(a.lines.join("\n")).toContain("second signal: exiting now");
  });
});
