/**
 * `npm run feedback:export` against a real Redis: ratings stored through the feedback core come
 * out as JSON Lines (to a file or stdout), and without Redis the command says why there is
 * nothing to export.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Feedback } from "../../src/core/feedback/feedback.js";
import { silentLogger } from "../../src/log.js";
import { Metrics } from "../../src/metrics.js";
import { createRedisStore, type RedisStore } from "../../src/store/redis/store.js";
import { answered } from "../store/feedback-contract.js";
import { requires } from "../support/binaries.js";
import {
  deleteKeys,
  startRedis,
  type TestRedis,
  uniquePrefix,
  usingExternalRedis,
} from "../support/redis.js";

/** Runs the export as npm does (tsx), with only the environment given. */
function runExport(env: Record<string, string>, args: string[] = []) {
  const child = spawn(process.execPath, ["--import", "tsx", "src/feedback/export.ts", ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once("close", (code) => resolve({ code, stdout, stderr })),
  );
}

describe("npm run feedback:export", () => {
  it("says why there is nothing to export when the service has no Redis", async () => {
    const { code, stdout, stderr } = await runExport({});
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("neither REDIS_URL nor REDIS_CLUSTER_NODES is set");
    expect(stderr).toContain("in-memory store");
  });

  describe("from Redis", requires("redis"), () => {
    let redis: TestRedis;
    let store: RedisStore;
    let dir: string;
    const prefix = uniquePrefix("export");

    beforeAll(async () => {
      redis = await startRedis();
      dir = mkdtempSync(join(tmpdir(), "feedback-export-"));
      store = await createRedisStore({ url: redis.url, prefix, log: silentLogger() });
      let clock = Date.parse("2026-03-01T10:00:00Z");
      const feedback = new Feedback({
        store: store.feedback,
        metrics: new Metrics(),
        log: silentLogger(),
        settings: { ratingTtlMs: 30 * 24 * 3_600_000, turnTtlMs: 3_600_000 },
        now: () => clock,
      });
      const ana = "slack:T1:U1";
      const first = answered(ana, "slack:1700.1");
      const second = { ...answered("discord:42", "discord:99"), platform: "discord" as const };
      await store.feedback.rememberTurn(first, 3_600_000);
      await store.feedback.rememberTurn(second, 3_600_000);
      const rate = (turnId: string, key: string, rating: "up" | "down", reason?: string) =>
        feedback.rate({
          platform: "slack",
          turnId,
          askerKey: key,
          clickerKey: key,
          rating,
          ...(reason ? { reason } : {}),
        });
      await rate(first.turnId, ana, "down", "Wrong order number.");
      clock += 60_000;
      await rate(second.turnId, "discord:42", "up");
    });

    afterAll(async () => {
      await store?.close();
      if (usingExternalRedis()) await deleteKeys(redis.url, prefix);
      await redis?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("writes every rating as one JSON line with its turn, oldest first, to --out FILE", async () => {
      const out = join(dir, "ratings.jsonl");
      const { code, stderr } = await runExport({ REDIS_URL: redis.url, KEY_PREFIX: prefix }, ["--out", out]);
      expect(stderr).toContain(`Exported 2 ratings to ${out}.`);
      expect(code).toBe(0);
      const lines = readFileSync(out, "utf8")
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(lines).toEqual([
        {
          rating: "down",
          reason: "Wrong order number.",
          ratedAt: "2026-03-01T10:00:00.000Z",
          platform: "slack",
          conversation: { platform: "slack", workspaceId: "T1", channelId: "D1", threadId: "1700.1" },
          turnId: "slack:1700.1",
          question: "Where is my order?",
          answer: "Order 1042 ships tomorrow.",
          toolCalls: [{ name: "lookup_order", arguments: '{"id":"1042"}', result: '{"status":"packed"}' }],
          model: "gpt-4o-mini",
          tokens: { input: 120, output: 18 },
          answeredAt: new Date(1_700_000_000_000).toISOString(),
        },
        expect.objectContaining({
          rating: "up",
          reason: null,
          turnId: "discord:99",
          ratedAt: "2026-03-01T10:01:00.000Z",
        }),
      ]);
      // Who rated is not part of the export.
      expect(JSON.stringify(lines)).not.toContain("U1");
    });

    it("writes to stdout without --out", async () => {
      const { code, stdout } = await runExport({ REDIS_URL: redis.url, KEY_PREFIX: prefix });
      expect(code).toBe(0);
      expect(
        stdout
          .trimEnd()
          .split("\n")
          .map((l) => JSON.parse(l).turnId),
      ).toEqual(["slack:1700.1", "discord:99"]);
    });
  });
});
