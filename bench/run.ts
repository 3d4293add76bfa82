/**
 * `npm run bench`: runs every benchmark, prints its figures and writes them as JSON to
 * bench/results/latest.json. Select some with arguments: `npm run bench -- core slack`.
 */
import { mkdirSync, writeFileSync } from "node:fs";

// Loaded on demand: `bench -- core` should not load discord.js or Bolt (their start-up and
// module code showed up in the core's CPU profile).
const benches: Record<string, () => Promise<Record<string, unknown>>> = {
  core: async () => (await import("./core.js")).runCoreBench(),
  slack: async () => (await import("./slack.js")).runSlackBench(),
  "slack-ack": async () => (await import("./slack-ack.js")).runSlackAckBench(),
  discord: async () => (await import("./discord.js")).runDiscordBench(),
  load: async () => (await import("./load.js")).runLoadBench(),
  knowledge: async () => (await import("./knowledge.js")).runKnowledgeBench(),
  sse: async () => (await import("./sse.js")).runSseBench(),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const results: Record<string, unknown> = { at: new Date().toISOString(), node: process.version };
for (const [name, run] of Object.entries(benches)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  console.log(`\n=== ${name} ===`);
  const started = performance.now();
  try {
    results[name] = await run();
  } catch (err) {
    console.error(`${name} benchmark failed:`, err);
    results[name] = { error: String(err) };
    process.exitCode = 1;
  }
  console.log(`(${name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/latest.json", `${JSON.stringify(results, null, 2)}\n`);
console.log("\nwritten to bench/results/latest.json");
process.exit(process.exitCode ?? 0);
