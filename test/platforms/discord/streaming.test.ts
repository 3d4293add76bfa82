import { afterEach, describe, expect, it, vi } from "vitest";
import type { Step } from "../../support/scripted-model.js";
import { Gate, reply, ScriptedModel } from "../../support/scripted-model.js";
import { finished, metricSum, type Replica, type Scene, startReplica, startScene } from "./harness.js";

/** A ~6,000-character answer: prose, a long TypeScript block, more prose. */
function longAnswer(): { text: string; codeLines: string[]; prose: string[] } {
  const prose = Array.from(
    { length: 24 },
    (_, i) =>
      `Paragraph ${i + 1}: the router keeps its settings in flash, so a reset only clears the session state.`,
  );
  const codeLines = Array.from(
    { length: 80 },
    (_, i) => `  const step${i + 1} = await router.call("step-${i + 1}");`,
  );
  const text = [
    ...prose.slice(0, 12).map((p) => `${p}\n`),
    "```ts",
    "async function reset(router: Router) {",
    ...codeLines,
    "}",
    "```",
    "",
    ...prose.slice(12).map((p) => `${p}\n`),
  ].join("\n");
  return { text, codeLines, prose };
}

/** Stream `text` in chunks of `size` characters. */
function chunks(text: string, size: number, gapMs: number): Step[] {
  const steps: Step[] = [];
  for (let i = 0; i < text.length; i += size) {
    steps.push({ type: "sleep", ms: gapMs }, { type: "text", delta: text.slice(i, i + size) });
  }
  steps.push({ type: "done", finishReason: "stop", usage: { inputTokens: 10, outputTokens: 1500 } });
  return steps;
}

describe("Discord streaming", () => {
  let scene: Scene;
  let replica: Replica;

  afterEach(async () => {
    await replica?.adapter.stop();
    await scene?.fake.close();
  });

  it("continues a 6,000-character answer in further messages with its code block intact", async () => {
    scene = await startScene();
    const { text, codeLines, prose } = longAnswer();
    expect(text.length).toBeGreaterThan(6000);
    replica = await startReplica(scene.fake, { model: new ScriptedModel(() => chunks(text, 400, 5)) });
    const { fake, general, alice } = scene;

    const question = fake.say(alice, general, `${fake.mention} show me the reset script`);
    const messages = await fake.waitFor(() => finished(fake, question.id, 4), "all parts");

    const all = messages.map((m) => m.content).join("\n");
    for (const m of messages) {
      expect(m.content.length).toBeLessThanOrEqual(2000);
      // Every part renders on its own: code fences are balanced in each message.
      expect(m.content.match(/^```/gm)?.length ?? 0).toSatisfy((n: number) => n % 2 === 0);
    }
    // Nothing is cut off, nothing repeated, order kept.
    let at = -1;
    for (const line of [...prose.slice(0, 12), ...codeLines, ...prose.slice(12)]) {
      const next = all.indexOf(line, at + 1);
      expect(next, `missing or out of order: ${line}`).toBeGreaterThan(at);
      expect(all.indexOf(line, next + 1), `repeated: ${line}`).toBe(-1);
      at = next;
    }
    // The code block continues in the next message as code (fence reopened with its language).
    const reopened = messages.slice(1).some((m) => m.content.startsWith("```ts"));
    expect(reopened).toBe(true);
  });

  it("streams 10 concurrent answers in one channel without a single 429", async () => {
    scene = await startScene();
    const { fake, general, alice } = scene;
    const answer = (n: number) =>
      `Answer ${n}: ${Array.from({ length: 30 }, (_, i) => `word${i}`).join(" ")} end of answer ${n}.`;
    const model = new ScriptedModel((req) => {
      const question = String(req.messages.at(-1)?.content);
      const n = Number(/question (\d+)/.exec(question)?.[1]);
      return reply(answer(n), { gapMs: 10 });
    });
    replica = await startReplica(fake, { model, env: { DISCORD_REPLY_MODE: "inline" } });

    for (let n = 1; n <= 10; n++) fake.say(alice, general, `${fake.mention} question ${n}`);
    const messages = await fake.waitFor(() => finished(fake, general.id, 10), "10 answers", 20_000);

    expect(messages.map((m) => m.content).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => answer(i + 1)).sort(),
    );
    expect(fake.rateLimitedCount).toBe(0);
    expect(await metricSum(replica.metrics.platformRateLimited)).toBe(0);
    // Edits stayed inside the channel's bucket: the fake enforces Discord's bucket (5 per window,
    // reset as its headers say) and answered none with a 429. (A sliding-window count of the times
    // the fake read the requests is stricter than Discord and failed when a busy machine read
    // requests sent apart in one go.)
    const edits = fake.requests.filter((r) => r.route === "PATCH /channels/:id/messages/:id");
    // Each answer was still edited while it streamed (not just posted once at the end).
    expect(edits.length).toBeGreaterThan(10);
  });

  it("stops a streaming answer when the asker clicks Stop, and refuses anyone else", async () => {
    scene = await startScene();
    const { fake, general, alice, bob } = scene;
    const words = Array.from({ length: 80 }, (_, i) => `w${i}`).join(" ");
    // The answer holds after ten words until the test lets it go, which it never does: only Stop
    // can end it, so the clicks land while it streams however slow the machine is.
    const never = new Gate();
    const model = new ScriptedModel(() => reply(words, { gapMs: 5, holdAfter: 10, hold: never }));
    replica = await startReplica(fake, { model });

    const question = fake.say(alice, general, `${fake.mention} talk for a while`);
    const streaming = await fake.waitFor(
      () => fake.botMessages(question.id).find((m) => m.components.length > 0 && m.content.includes("w9")),
      "a streaming message with a Stop button",
    );
    const row = streaming.components[0] as { components: { custom_id: string; label: string }[] };
    const button = row.components[0]!;
    expect(button.label).toBe("Stop");

    const refused = fake.clickButton(bob, streaming, button.custom_id);
    await fake.waitFor(() => refused.callbacks.length > 0, "refusal");
    expect(refused.callbacks[0]?.type).toBe(4);
    expect(JSON.stringify(refused.callbacks[0]?.data)).toContain("Only the person who asked");

    const click = fake.clickButton(alice, streaming, button.custom_id);
    const [stopped] = await fake.waitFor(() => finished(fake, question.id), "the stopped answer");
    // The click's acknowledgement and the stopped answer's edit are separate requests: on a busy
    // machine the edit can land first.
    await fake.waitFor(() => click.callbacks.length > 0, "the click acknowledged");
    expect(click.callbacks.map((c) => c.type)).toEqual([6]);
    expect(stopped?.content).toMatch(/\(stopped\)_$/);
    expect(stopped?.content).toContain("w9");
    expect(stopped?.content).not.toContain("w10");
    expect(stopped?.components).toEqual([]);

    // A Stop button whose answer is no longer running is simply removed. (The turn ends just after
    // the stopped message is shown: wait until it is counted, so the click cannot find it running.)
    await vi.waitFor(
      async () => expect(await metricSum(replica.metrics.turns, { outcome: "stopped" })).toBe(1),
      {
        timeout: 30_000,
      },
    );
    const late = fake.clickButton(alice, stopped!, button.custom_id);
    await fake.waitFor(() => late.callbacks.length > 0, "late click answered");
    expect(late.callbacks.map((c) => c.type)).toEqual([7]);
  });
});
