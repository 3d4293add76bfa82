/** Shared pieces of the benchmarks: child-process fake LLM, percentiles, table printing. */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { setPriority } from "node:os";
import { createInterface } from "node:readline";
import type { ConversationSettings } from "../src/core/conversation.js";

export interface ChildLlm {
  url: string;
  /** CPU time (user + system, µs) the fake LLM's process has used so far; null where unknown. */
  cpuUs(): number | null;
  stop(): Promise<void>;
}

/**
 * The fake LLM's CPU priority (a nice value): lower than the service's. It stands for a model API
 * on other machines; on a 2-core machine its timers for 100 paced streams otherwise take CPU
 * slices the service and Redis are waiting for, and that wait showed up as core overhead (paced
 * p99 17-19 ms with it at the same priority, 12-13 ms lower, same minutes).
 */
const FAKE_LLM_NICE = 10;

/** Start the demo/fake LLM server in a child process (see bench/llm-server.ts). */
export async function startChildLlm(opts: Record<string, unknown>): Promise<ChildLlm> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", "bench/llm-server.ts", JSON.stringify(opts)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  if (child.pid !== undefined) {
    try {
      setPriority(child.pid, FAKE_LLM_NICE);
    } catch {
      // Not allowed here: the figures are then taken with both at the same priority.
    }
  }
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`fake LLM exited with ${code}`)));
  });
  return {
    url,
    cpuUs: () => (child.pid === undefined ? null : processCpuUs(child.pid)),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** A process's CPU time (user + system, µs) from /proc (Linux); null elsewhere. */
function processCpuUs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND : null;
  } catch {
    return null;
  }
}
/** Linux reports process times in clock ticks of 1/100 s (USER_HZ) on every common platform. */
const CLOCK_TICKS_PER_SECOND = 100;

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function printTable(title: string, rows: Record<string, unknown>[]): void {
  console.log(`\n${title}`);
  console.table(rows);
}

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

/** Conversation settings of the benchmarks: limits high enough that only the platform's count. */
export const BENCH_SETTINGS: ConversationSettings = {
  botName: "Bench Bot",
  throttle: { requests: 1_000_000, windowMs: 60_000, dailyTokens: 1_000_000_000 },
  dedupTtlMs: 600_000,
  lockTtlMs: 30_000,
  lockWaitMs: 120_000,
  historyMaxTurns: 20,
  historyTtlMs: 3_600_000,
  contextTokenBudget: 8000,
  maxOutputTokens: 1024,
  maxInputChars: 8000,
  maxToolRounds: 4,
  maxParallelToolCalls: 4,
};
