/**
 * Two service processes on one Redis behind an imaginary load balancer, one fake Slack, one fake
 * LLM. Slack sends every post twice (app_mention and message for a mention) and each event is
 * delivered twice more (a retry, or the balancer sending it to both replicas) at the same moment.
 * What users see must be as if one process answered each message once: one answer per message,
 * the answers of a thread in the order of its questions, and the throttle counting each message
 * of a user once, whichever replica took it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requires } from "../support/binaries.js";
import {
  answersIn,
  clusterMetric,
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

/** The throttle under test: 10 messages per user per minute (the default). */
const THROTTLE_REQUESTS = 10;
const THREADS = 6;
const QUESTIONS_PER_THREAD = 3;
const THROTTLED_POSTS = 16;

let set: ReplicaSet;
let a: Replica;
let b: Replica;

beforeAll(async () => {
  set = await startReplicaSet({
    replicas: 2,
    channels: ["C1", "C2", "C3", "C4"],
    users: ["U1", "U2", "U3", "U9"],
    env: { THROTTLE_REQUESTS: String(THROTTLE_REQUESTS), THROTTLE_WINDOW_S: "60" },
    // Slow enough that the next question of a thread arrives while the previous answer streams.
    respond: echoingLlm({ firstChunkDelayMs: 50, intervalMs: 40 }),
  });
  [a, b] = set.replicas as [Replica, Replica];
});

afterAll(async () => {
  await set?.close();
});

/** Every way a balancer and Slack's retries can hand one event over: both replicas, or one twice. */
function spread(i: number): Replica[] {
  const patterns: Replica[][] = [
    [a, b],
    [b, a],
    [a, a],
    [b, b],
  ];
  return patterns[i % patterns.length] ?? [a, b];
}

/** Chat requests the fake LLM received for `question`. */
function requestsFor(question: string): number {
  return set.llm.requests.filter((r) => questionOf(r.messages).question === question).length;
}

describe("two replicas on one Redis", requires("redis"), () => {
  it("answers every message exactly once and keeps each thread's answers in question order", async () => {
    const turnsBefore = await clusterMetric(set.replicas, "chatbot_turns_total");
    let deliveries = 0;
    let spreadIndex = 0;
    const threads: { root: UserPost; questions: string[] }[] = [];

    const runThread = async (t: number) => {
      const channel = `C${(t % 3) + 1}`;
      const user = `U${(t % 3) + 1}`;
      const questions = Array.from({ length: QUESTIONS_PER_THREAD }, (_, k) => `t${t}q${k + 1}`);
      let root: UserPost | undefined;
      for (const [k, question] of questions.entries()) {
        const post: UserPost = root
          ? // Follow-ups alternate between a plain reply and one that mentions the bot again.
            postReply(set.slack, channel, root.threadTs, user, question, k % 2 === 0)
          : postMention(set.slack, channel, user, question);
        root ??= post;
        const to = spread(spreadIndex++);
        const results = await deliver(post, to);
        deliveries += results.length;
        expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
        // The next question is written while this answer is still streaming: it must wait for
        // the thread, possibly on the other replica, and then see this turn in its history.
        await waitFor(`the model to get ${question}`, () => requestsFor(question) > 0);
      }
      if (root) threads.push({ root, questions });
    };
    await Promise.all(Array.from({ length: THREADS }, (_, t) => runThread(t)));

    // Every delivery ends as one counted turn: answered, or dropped as a duplicate.
    await waitFor("every delivery to be handled", async () => {
      return (await clusterMetric(set.replicas, "chatbot_turns_total")) - turnsBefore === deliveries;
    });
    const messages = THREADS * QUESTIONS_PER_THREAD;
    expect(await clusterMetric(set.replicas, "chatbot_turns_total", { outcome: "answered" })).toBe(messages);
    expect(await clusterMetric(set.replicas, "chatbot_turns_total", { outcome: "duplicate" })).toBe(
      deliveries - messages,
    );

    for (const { root, questions } of threads) {
      const answers = answersIn(set.slack, root);
      expect(answers.map((m) => set.slack.visibleText(m))).toEqual(
        questions.map((q, k) => echoAnswer(q, questions.slice(0, k))),
      );
      for (const m of answers) expect(isFinal(set.slack, m)).toBe(true);
      for (const q of questions) expect(requestsFor(q)).toBe(1);
    }
    // Both replicas did part of the work.
    for (const r of [a, b]) {
      expect(await clusterMetric([r], "chatbot_turns_total", { outcome: "answered" })).toBeGreaterThan(0);
    }
  });

  it("lets a user have exactly 10 answers a minute across both replicas and tells them about the rest", async () => {
    const turnsBefore = await clusterMetric(set.replicas, "chatbot_turns_total");
    const posts = Array.from({ length: THROTTLED_POSTS }, (_, i) =>
      postMention(set.slack, "C4", "U9", `burst${i}`),
    );
    // All at once, each event to both replicas or twice to one.
    const results = (await Promise.all(posts.map((post, i) => deliver(post, spread(i))))).flat();
    expect(results.every((r) => r.status === 200)).toBe(true);

    await waitFor("every delivery to be handled", async () => {
      return (await clusterMetric(set.replicas, "chatbot_turns_total")) - turnsBefore === results.length;
    });
    const answered = posts.filter((p) => answersIn(set.slack, p).length > 0);
    expect(answered).toHaveLength(THROTTLE_REQUESTS);
    for (const post of answered) {
      const [answer, ...extra] = answersIn(set.slack, post);
      expect(extra).toEqual([]);
      expect(answer && isFinal(set.slack, answer)).toBe(true);
    }
    const notices = set.slack.ephemerals.filter((e) => e.channel === "C4" && e.user === "U9");
    expect(notices).toHaveLength(THROTTLED_POSTS - THROTTLE_REQUESTS);
    for (const n of notices) expect(n.text).toContain("faster than I can answer");
    expect(await clusterMetric(set.replicas, "chatbot_throttled_total")).toBe(
      THROTTLED_POSTS - THROTTLE_REQUESTS,
    );
    // Throttled messages never reach the model.
    const burstRequests = set.llm.requests.filter((r) => questionOf(r.messages).question.startsWith("burst"));
    expect(burstRequests).toHaveLength(THROTTLE_REQUESTS);
  });
});
