/**
 * OpenAI `chat.completion.chunk` SSE frames, built by string concatenation (the request's id,
 * model and timestamp are serialized once per response, pieces are pre-encoded), and a writer
 * that paces them.
 */
import type { ServerResponse } from "node:http";
import type { UsageBody } from "./types.js";

export const DONE_FRAME = "data: [DONE]\n\n";

export class ChunkFormatter {
  private readonly head: string;

  constructor(id: string, created: number, model: string) {
    this.head = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":"fp_demo","choices":[`;
  }

  /** A frame with one choice; `deltaJson` is the delta object's JSON text. */
  delta(deltaJson: string, finishReason: string | null = null): string {
    const finish = finishReason === null ? "null" : JSON.stringify(finishReason);
    return `${this.head}{"index":0,"delta":${deltaJson},"logprobs":null,"finish_reason":${finish}}]}\n\n`;
  }

  role(): string {
    return this.delta('{"role":"assistant","content":"","refusal":null}');
  }

  /** `pieceJson` is a JSON string literal. */
  content(pieceJson: string): string {
    return this.delta(`{"content":${pieceJson}}`);
  }

  toolCall(call: {
    index: number;
    id?: string | undefined;
    name?: string | undefined;
    arguments?: string | undefined;
  }): string {
    const fn: Record<string, string> = {};
    if (call.name !== undefined) fn.name = call.name;
    if (call.arguments !== undefined) fn.arguments = call.arguments;
    const tc: Record<string, unknown> = { index: call.index };
    if (call.id !== undefined) {
      tc.id = call.id;
      tc.type = "function";
    }
    tc.function = fn;
    return this.delta(JSON.stringify({ tool_calls: [tc] }));
  }

  finish(reason: string): string {
    return this.delta("{}", reason);
  }

  usage(u: UsageBody): string {
    const details = u.completion_tokens_details
      ? `,"completion_tokens_details":{"reasoning_tokens":${u.completion_tokens_details.reasoning_tokens}}`
      : "";
    return `${this.head}],"usage":{"prompt_tokens":${u.prompt_tokens},"completion_tokens":${u.completion_tokens},"total_tokens":${u.prompt_tokens + u.completion_tokens}${details}}}\n\n`;
  }
}

export interface Pacing {
  firstChunkDelayMs: number;
  intervalMs: number;
  /** done: end the response. cut: destroy the socket once written. hang: leave it open. */
  end: "done" | "cut" | "hang";
  /** Stop after `afterFrames` frames until `until` resolves (then go on as paced). */
  hold?: { afterFrames: number; until: Promise<void> } | undefined;
}

/**
 * Writes `prelude` at once, then `frames` paced by `pacing`, with `tail` appended to the last
 * write. Without delays everything goes out in one write. Timers stop when the client leaves.
 */
export function writePaced(
  res: ServerResponse,
  prelude: string,
  frames: string[],
  tail: string,
  pacing: Pacing,
): void {
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  res.once("close", () => clearTimeout(timer));

  const finish = (last: string) => {
    if (pacing.end === "done") res.end(last);
    else {
      if (last !== "") res.write(last);
      // Half-close after the written data is flushed: the client sees a chunked body that never ends.
      if (pacing.end === "cut") res.socket?.end();
    }
  };
  let held = false;
  const step = () => {
    if (res.destroyed) return;
    if (pacing.hold && !held && next >= pacing.hold.afterFrames) {
      held = true;
      void pacing.hold.until.then(step);
      return;
    }
    if (pacing.intervalMs <= 0 && !(pacing.hold && !held)) {
      finish(frames.slice(next).join("") + tail);
      return;
    }
    if (next >= frames.length - 1) {
      finish((frames[next] ?? "") + tail);
      return;
    }
    res.write(frames[next++] as string);
    timer = setTimeout(step, pacing.intervalMs);
  };

  if (pacing.firstChunkDelayMs <= 0 && pacing.intervalMs <= 0 && !pacing.hold) {
    finish(prelude + frames.join("") + tail);
    return;
  }
  res.write(prelude);
  timer = setTimeout(step, pacing.firstChunkDelayMs);
}
