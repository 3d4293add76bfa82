import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore } from "../../src/store/index.js";
import { requires } from "../support/binaries.js";
import { startRedis, type TestRedis, uniquePrefix } from "../support/redis.js";
import { captureLog, WARN } from "./log-capture.js";

describe("createStore", () => {
  it("uses the memory store without REDIS_URL and warns that it is per process", async () => {
    const captured = captureLog();
    const store = await createStore({ KEY_PREFIX: "chatbot:" }, captured.log);
    expect(store.kind).toBe("memory");
    expect(captured.lines.some((l) => l.level === WARN && /per process/.test(l.msg))).toBe(true);
    await store.close();
  });
});

describe("createStore with a Redis", requires("redis"), () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("uses Redis when REDIS_URL is set", async () => {
    const captured = captureLog();
    const store = await createStore({ REDIS_URL: redis.url, KEY_PREFIX: uniquePrefix() }, captured.log);
    expect(store.kind).toBe("redis");
    await expect(store.ping()).resolves.toBeUndefined();
    expect(captured.lines.some((l) => l.level === WARN)).toBe(false);
    await store.close();
  });
});
