/**
 * Redis restarted in the middle of a run of conversations. Turns in flight end with an answer or
 * a notice, the same process serves again once Redis is back (no restart), and the history of
 * every turn that completed is still there (this Redis keeps an append-only file, as a production
 * Redis that must not lose history does).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { createRedisStore, type RedisStore } from "../../src/store/redis/store.js";
import { requires } from "../support/binaries.js";
import { makeConversation, message } from "../support/conversation.js";
import { RecordingSink } from "../support/recording-sink.js";
import { freePort, spawnRedisServer, stopProcess, uniquePrefix, waitForPong } from "../support/redis.js";
import { reply, ScriptedModel } from "../support/scripted-model.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Restarts its own redis-server, so REDIS_URL cannot stand in.
describe("Redis restart during conversations", requires("redis-server"), () => {
  const dir = mkdtempSync(join(tmpdir(), "chatbot-redis-aof-"));
  const persistent = ["--appendonly", "yes", "--appendfsync", "always"];
  let store: RedisStore | undefined;
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers or notifies every message, recovers by itself and keeps completed history", async () => {
    const port = await freePort();
    let redis = spawnRedisServer(port, dir, persistent);
    await waitForPong(port);
    store = await createRedisStore({
      url: `redis://127.0.0.1:${port}`,
      prefix: uniquePrefix("restart"),
      log: silentLogger(),
    });
    const model = new ScriptedModel((req) => reply(`answer ${req.messages.length}`, { gapMs: 15 }));
    const { conversation } = makeConversation({ model, store });

    const results: { thread: string; outcome: string; text: string; sink: RecordingSink }[] = [];
    let stop = false;
    const users = Array.from({ length: 12 }, (_, u) =>
      (async () => {
        for (let k = 0; !stop; k++) {
          const sink = new RecordingSink();
          const thread = `t${u}`;
          const r = await conversation.handle(
            message({ threadId: thread, userId: `u${u}`, text: `q${k}` }),
            sink,
          );
          results.push({ thread, outcome: r.outcome, text: r.text, sink });
          if (r.outcome !== "answered") await sleep(50);
        }
      })(),
    );
    await sleep(400);
    await stopProcess(redis);
    await sleep(300);
    redis = spawnRedisServer(port, dir, persistent);
    await waitForPong(port);
    // Wait until the store has reconnected and a round of answers has gone through.
    const deadline = Date.now() + 10_000;
    const answeredBefore = () => results.filter((r) => r.outcome === "answered").length;
    const mark = answeredBefore();
    while (answeredBefore() < mark + 24 && Date.now() < deadline) await sleep(50);
    stop = true;
    await Promise.all(users);

    expect(results.some((r) => r.outcome === "unavailable" || r.text.includes("couldn't save"))).toBe(true);
    expect(answeredBefore()).toBeGreaterThanOrEqual(mark + 24);
    for (const r of results) {
      // Every message got a final answer or a notice; nothing is left streaming.
      expect(r.sink.visible.length + r.sink.notices.length).toBeGreaterThan(0);
      for (const m of r.sink.visible) expect(m.state).not.toBe("streaming");
    }
    // Every turn that completed and was saved is in its thread's history.
    for (let u = 0; u < 12; u++) {
      const saved = results.filter(
        (r) => r.thread === `t${u}` && r.outcome === "answered" && !r.text.includes("couldn't save"),
      );
      const history = await store.threads.load(`web:local:c1:t${u}`);
      const remembered = new Set(history.map((t) => t.entries.find((e) => e.role === "assistant")?.content));
      for (const r of saved) expect(remembered.has(r.text)).toBe(true);
    }
    await stopProcess(redis);
  });
});
