import { loadConfig } from "../src/config.js";
import { Conversation } from "../src/core/conversation.js";
import type { MessageSink, MessageState } from "../src/core/ports.js";
import { OpenAIChatModel } from "../src/llm/openai-model.js";
import { createTokenCounter } from "../src/llm/tokens.js";
import { silentLogger } from "../src/log.js";
import { Metrics } from "../src/metrics.js";
import { webSinkLimits } from "../src/platforms/web/sink.js";
import { createRedisStore } from "../src/store/redis/store.js";
import { createToolRegistry } from "../src/tools/index.js";
import { startRedis, uniquePrefix } from "../test/support/redis.js";
import { BENCH_SETTINGS, startChildLlm } from "./support.js";

class Sink implements MessageSink {
  readonly limits;
  constructor(s: string) {
    this.limits = webSinkLimits(s);
  }
  async post(_t: string, _s: MessageState) {
    return "m";
  }
  async edit() {}
  notices: string[] = [];
  async notice(t: string) {
    this.notices.push(t);
  }
}
const level = Number(process.env.L ?? 10000);
const redis = await startRedis();
const log = silentLogger();
const metrics = new Metrics();
const store = await createRedisStore({ url: redis.url, prefix: uniquePrefix("m"), log });
const env = loadConfig({}).env;
const llm = await startChildLlm({ firstTokenDelayMs: 3000, tokenIntervalMs: 0, answerTokens: 20 });
let started = 0;
const inner = new OpenAIChatModel({
  baseURL: llm.url,
  model: "gpt-4o-mini",
  maxRetries: 0,
  firstTokenTimeoutMs: 60000,
  totalTimeoutMs: 120000,
  log,
  metrics,
});
const model = {
  get model() {
    return inner.model;
  },
  stream: (r: any) => {
    started++;
    return inner.stream(r);
  },
};
const conversation = new Conversation({
  store,
  model,
  tokens: createTokenCounter("gpt-4o-mini"),
  tools: createToolRegistry({ env, kv: store.kv, log, metrics }),
  log,
  metrics,
  settings: BENCH_SETTINGS,
});
const t0 = Date.now();
const sinks: Sink[] = [];
const turns = Array.from({ length: level }, (_, i) => {
  const s = new Sink(`m${i}`);
  sinks.push(s);
  return conversation.handle(
    {
      platform: "web",
      workspaceId: "b",
      channelId: "c",
      threadId: `t${i}`,
      userId: `u${i}`,
      messageId: `x${i}-${t0}`,
      text: `question ${i} about the store`,
      kind: "dm",
    },
    s,
  );
});
const iv = setInterval(() => console.log(((Date.now() - t0) / 1000).toFixed(1), "s started", started), 1000);
const res = await Promise.all(turns);
clearInterval(iv);
const by: Record<string, number> = {};
for (const r of res) by[`${r.outcome}:${r.code ?? ""}`] = (by[`${r.outcome}:${r.code ?? ""}`] ?? 0) + 1;
console.log("outcomes", by, "sample notice", sinks.find((s) => s.notices.length)?.notices[0]);
await store.close();
await llm.stop();
await redis.stop();
process.exit(0);
