/**
 * The order of a thread's answers when the first answer's message is slow to appear. A turn keeps
 * its thread until its answer's messages exist (AnswerStream.posted in core/conversation.ts), so
 * when Slack rate-limits that post, the thread's next message, taken by the other replica, waits
 * and its answer appears below the first, as the user asked them.
 */
import { afterAll, describe, expect, it } from "vitest";
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
  type ReplicaSet,
  SLACK_TIME_SCALE,
  startReplicaSet,
  waitFor,
} from "../support/replicas.js";

/** One post per channel per 3 s (scaled), so the first answer's post waits ~3 s behind a 429. */
const POST_WINDOW_MS = 3000 * SLACK_TIME_SCALE;

let set: ReplicaSet | undefined;
afterAll(async () => {
  await set?.close();
});

describe("answer order across replicas", requires("redis"), () => {
  it("keeps the thread's answers in question order when Slack rate-limits the first answer's post", async () => {
    set = await startReplicaSet({
      replicas: 0,
      respond: echoingLlm(),
      fakeSlack: { rates: { "chat.postMessage": { limit: 1, windowMs: POST_WINDOW_MS, per: "channel" } } },
    });
    const s = set;
    // A answers with chat.postMessage (edits), B with a native stream (chat.startStream).
    const a = await s.startReplica({ SLACK_NATIVE_STREAMING: "false" });
    const b = await s.startReplica();
    // A's post in another thread of the channel uses up the channel's post budget.
    const other = postMention(s.slack, "C1", "U1", "earlier");
    await deliver(other, [a]);
    await waitFor("the other thread's answer", () => {
      const m = answersIn(s.slack, other)[0];
      return m && isFinal(s.slack, m);
    });

    const first = postMention(s.slack, "C1", "U1", "first");
    await deliver(first, [a]);
    await waitFor("the model to get the first question", () =>
      s.llm.requests.some((r) => questionOf(r.messages).question === "first"),
    );
    // The user's next message in the thread goes to B while A's first answer waits for Slack.
    await deliver(postReply(s.slack, "C1", first.threadTs, "U1", "second"), [b]);
    await waitFor(
      "both answers",
      () => answersIn(s.slack, first).filter((m) => isFinal(s.slack, m)).length === 2,
    );
    // The second answer saw the first in its history, and the thread shows them in order.
    expect(answersIn(s.slack, first).map((m) => s.slack.visibleText(m))).toEqual([
      echoAnswer("first", []),
      echoAnswer("second", ["first"]),
    ]);
  });
});
