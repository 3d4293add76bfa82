import { LlmError } from "../../src/core/errors.js";
import type { ChatModel, ModelEvent, ModelRequest } from "../../src/core/ports.js";

/** One step of a scripted model reply: an event, a pause, or a failure at that point. */
export type Step = ModelEvent | { type: "sleep"; ms: number } | { type: "fail"; error: LlmError };

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
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => {
            clearTimeout(t);
            reject(new LlmError("cancelled", "aborted"));
          };
          const t = setTimeout(() => {
            req.signal.removeEventListener("abort", onAbort);
            resolve();
          }, step.ms);
          req.signal.addEventListener("abort", onAbort, { once: true });
        });
      } else if (step.type === "fail") {
        throw step.error;
      } else {
        yield step;
      }
    }
  }
}

/** A plain streamed answer: the words of `text` as deltas, then done. */
export function reply(text: string, opts: { gapMs?: number; finish?: "stop" | "length" } = {}): Step[] {
  const steps: Step[] = [];
  for (const piece of text.match(/\S+\s*/g) ?? [text]) {
    if (opts.gapMs) steps.push({ type: "sleep", ms: opts.gapMs });
    steps.push({ type: "text", delta: piece });
  }
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
