/**
 * Streamed `tool_calls` deltas -> whole tool calls. OpenAI sends, per call, a first delta with
 * `index`, `id` and `function.name`, then many deltas carrying slices of `function.arguments`;
 * several calls of one round are interleaved by `index`.
 */
import { randomUUID } from "node:crypto";
import type { ToolCall } from "../core/types.js";

export interface ToolCallDelta {
  index?: number | undefined;
  id?: string | undefined;
  function?: { name?: string | undefined; arguments?: string | undefined } | undefined;
}

interface PartialCall {
  id: string;
  name: string;
  args: string[];
}

export class ToolCallAssembler {
  private readonly calls = new Map<number, PartialCall>();
  private lastIndex: number | undefined;

  get size(): number {
    return this.calls.size;
  }

  add(delta: ToolCallDelta): void {
    // Some compatible servers leave out `index`: a delta with a new id starts a new call,
    // anything else (no id, or the same id repeated) continues the last one.
    const index = delta.index ?? this.indexWithout(delta.id);
    this.lastIndex = index;
    let call = this.calls.get(index);
    if (!call) {
      call = { id: "", name: "", args: [] };
      this.calls.set(index, call);
    }
    // Ids and names are assigned, not appended: some servers repeat them in every delta.
    if (delta.id) call.id = delta.id;
    if (delta.function?.name) call.name = delta.function.name;
    if (delta.function?.arguments) call.args.push(delta.function.arguments);
  }

  private indexWithout(id: string | undefined): number {
    if (this.lastIndex === undefined) return this.calls.size;
    const last = this.calls.get(this.lastIndex);
    return id && last?.id && id !== last.id ? this.calls.size : this.lastIndex;
  }

  /** The calls in index order. Throws if a call never got a name (a broken stream). */
  finish(): ToolCall[] {
    const ordered = [...this.calls.entries()].sort((a, b) => a[0] - b[0]);
    return ordered.map(([index, call]) => {
      if (call.name === "") throw new TypeError(`tool call ${index} arrived without a function name`);
      const args = call.args.join("");
      return {
        // Ids tie results to calls; a server that omits them still gets ids unique across rounds.
        id: call.id || `call_${randomUUID().slice(0, 12)}_${index}`,
        name: call.name,
        // A call without arguments is `{}` to OpenAI; keep that so argument parsing succeeds.
        arguments: args.trim() === "" ? "{}" : args,
      };
    });
  }
}
