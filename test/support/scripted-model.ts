import { LlmError } from "../../src/core/errors.js";
import type { ChatModel, ModelEvent, ModelRequest } from "../../src/core/ports.js";

/**
 * One step of a scripted model reply: an event, a pause, a hold until the test opens a gate (so a
 * test acts while the answer is certainly still streaming, however busy the machine), or a failure.
 */
export type Step =
  | ModelEvent
  | { type: "sleep"; ms: number }
  | { type: "wait"; gate: Gate }
  | { type: "fail"; error: LlmError };

/** A one-way gate a scripted answer can wait at: `open()` lets every waiting stream go on. */
export class Gate {
  private release!: () => void;
  readonly opened = new Promise<void>((resolve) => {
    this.release = resolve;
  });
  open(): void {
    this.release();
  }
}

/** Resolves after `ms`, or when `until` resolves; rejects as a cancelled stream on abort. */
function pause(signal: AbortSignal, ms: number | undefined, until?: Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(t);
      reject(new LlmError("cancelled", "aborted"));
    };
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener("abort", onAbort);
      resolve();
    };
    const t = ms === undefined ? undefined : setTimeout(done, ms);
    until?.then(done);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * An in-process ChatModel for core tests: each request is answered by `script`, which sees the
 * request and how many came before. Requests are recorded.
 */
export class ScriptedModel implements ChatModel {
  readonly model = "gpt-4o-mini";
  readonly requests: ModelRequest[] = [];

  constructor(private readonly script: (req: ModelRequest, index: number) => Step[]) {}

  async *stream(req: ModelRequest): AsyncIterable<ModelEvent> {
    const index = this.requests.length;
    this.requests.push({ ...req, messages: structuredClone(req.messages) });
    for (const step of this.script(req, index)) {
      if (req.signal.aborted) throw new LlmError("cancelled", "aborted");
      if (step.type === "sleep") {
        await pause(req.signal, step.ms);
      } else if (step.type === "wait") {
        await pause(req.signal, undefined, step.gate.opened);
      } else if (step.type === "fail") {
        throw step.error;
      } else {
        yield step;
      }
    }
  }
}

/**
 * A plain streamed answer: the words of `text` as deltas, then done. With `holdAfter`, the stream
 * stops after that many words until `hold` opens (or the turn is cancelled).
 */
export function reply(
  text: string,
  opts: { gapMs?: number; finish?: "stop" | "length"; holdAfter?: number; hold?: Gate } = {},
): Step[] {
  const steps: Step[] = [];
  const pieces = text.match(/\S+\s*/g) ?? [text];
  pieces.forEach((piece, i) => {
    if (opts.hold && i === opts.holdAfter) steps.push({ type: "wait", gate: opts.hold });
    if (opts.gapMs) steps.push({ type: "sleep", ms: opts.gapMs });
    steps.push({ type: "text", delta: piece });
  });
  steps.push({
    type: "done",
    finishReason: opts.finish ?? "stop",
    usage: { inputTokens: 50, outputTokens: 20 },
  });
  return steps;
}

export function toolCalls(...calls: { id: string; name: string; args: unknown }[]): Step[] {
  return [
    {
      type: "tool_calls",
      calls: calls.map((c) => ({ id: c.id, name: c.name, arguments: JSON.stringify(c.args) })),
    },
    { type: "done", finishReason: "tool_calls", usage: { inputTokens: 40, outputTokens: 10 } },
  ];
}
