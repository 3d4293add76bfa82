/**
 * The tool registry: the core's `ToolRunner`. It turns each tool's zod schema into the spec the
 * model sees, parses the model's arguments with the same schema, runs the tool under a timeout,
 * and turns every failure into a result the model can read and act on. `run` never throws and
 * keeps no per-call state on the instance, so the core may run several calls at once.
 */
import type { z } from "zod";
import { ToolError } from "../core/errors.js";
import type { Source, ToolContext, ToolResult, ToolRunner, ToolSpec } from "../core/ports.js";
import type { ToolCall } from "../core/types.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import { toModelSchema } from "./json-schema.js";
import { type ToolDefinition, ToolFailure, type ToolRunContext, userKeyOfContext } from "./tool.js";

interface Entry {
  spec: ToolSpec;
  statusText: string;
  timeoutMs: number;
  /** Field names the model may send, for error messages. */
  fields: string[];
  execute(args: unknown, ctx: ToolRunContext): Promise<unknown>;
  sources?: (value: unknown) => Source[];
  parse(args: unknown): z.ZodSafeParseResult<unknown>;
  /** Tools about one person: their successful result as the asker alone reads it. */
  renderPersonal?: (result: unknown) => string;
}

export interface ToolRegistryOptions {
  log: Logger;
  metrics: Metrics;
  /** Used for tools that do not set their own (TOOL_TIMEOUT_MS). */
  defaultTimeoutMs: number;
}

export class ToolRegistry implements ToolRunner {
  private readonly tools = new Map<string, Entry>();

  constructor(private readonly opts: ToolRegistryOptions) {}

  register<S extends z.ZodType, R>(def: ToolDefinition<S, R>): this {
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(def.name)) throw new Error(`invalid tool name: ${def.name}`);
    if (this.tools.has(def.name)) throw new Error(`tool registered twice: ${def.name}`);
    const { parameters, strict } = toModelSchema(def.schema);
    const properties = parameters.properties;
    this.tools.set(def.name, {
      spec: { name: def.name, description: def.description, parameters, strict },
      statusText: def.statusText,
      timeoutMs: def.timeoutMs ?? this.opts.defaultTimeoutMs,
      fields: typeof properties === "object" && properties !== null ? Object.keys(properties) : [],
      parse: (args) => def.schema.safeParse(args),
      execute: (args, ctx) => def.run(args as z.output<S>, ctx),
      ...(def.personalData ? { renderPersonal: (result) => def.personalData!.render(result as R) } : {}),
      ...(def.sources ? { sources: (value: unknown) => def.sources!(value as R) } : {}),
    });
    return this;
  }

  names(): string[] {
    return [...this.tools.keys()];
  }

  specs(): ToolSpec[] {
    return [...this.tools.values()].map((e) => e.spec);
  }

  statusText(name: string): string | undefined {
    return this.tools.get(name)?.statusText;
  }

  holdsPersonalData(name: string): boolean {
    return this.tools.get(name)?.renderPersonal !== undefined;
  }

  async run(call: ToolCall, ctx: ToolContext): Promise<ToolResult> {
    const started = performance.now();
    let outcome = "ok";
    let result: ToolResult;
    let failure: ToolFailure | undefined;
    try {
      const value = await this.execute(call, ctx);
      result = { ok: true, content: JSON.stringify(value ?? null) };
      const render = this.tools.get(call.name)?.renderPersonal;
      if (render) result.personal = { text: render(value) };
      const sources = this.tools.get(call.name)?.sources?.(value);
      if (sources && sources.length > 0) result.sources = sources;
    } catch (err) {
      failure = this.toFailure(err, call);
      outcome = failure.outcome;
      result = { ok: false, content: JSON.stringify(modelError(failure)) };
    }
    const seconds = (performance.now() - started) / 1000;
    const tool = this.tools.has(call.name) ? call.name : "unknown";
    this.opts.metrics.toolCalls.inc({ tool, outcome });
    this.opts.metrics.toolSeconds.observe({ tool }, seconds);
    // Ids, names and timings only: arguments may hold emails and order numbers. A backend
    // failure is a warning and carries its cause (status, validation problem), never arguments.
    // The name comes from the model: cut it so a runaway name cannot flood the log.
    const line = {
      tool: call.name.slice(0, 64),
      callId: call.id,
      outcome,
      durationMs: Math.round(seconds * 1000),
    };
    if (outcome === "backend_error" || outcome === "timeout") {
      this.opts.log.warn({ ...line, cause: describeCause(failure?.cause) }, "tool call failed");
    } else {
      this.opts.log.info(line, "tool call");
    }
    return result;
  }

  private async execute(call: ToolCall, ctx: ToolContext): Promise<unknown> {
    const entry = this.tools.get(call.name);
    if (!entry) {
      throw new ToolFailure(
        "unknown_tool",
        `There is no tool named "${call.name}". Use one of the known tools.`,
        {
          known_tools: this.names(),
        },
      );
    }
    this.opts.log.debug({ tool: call.name, callId: call.id, arguments: call.arguments }, "tool arguments");
    const args = this.parseArguments(entry, call.arguments);
    return await this.withTimeout(entry, call, args, ctx);
  }

  private parseArguments(entry: Entry, raw: string): unknown {
    let json: unknown;
    try {
      // Some models send "" for a call without arguments.
      json = raw.trim() === "" ? {} : JSON.parse(raw);
    } catch {
      throw new ToolFailure("invalid_arguments", "The arguments are not valid JSON. Send one JSON object.", {
        valid_fields: entry.fields,
      });
    }
    const parsed = entry.parse(json);
    if (parsed.success) return parsed.data;
    throw new ToolFailure(
      "invalid_arguments",
      "Some arguments are invalid. Fix the listed fields and call the tool again.",
      { fields: parsed.error.issues.map(describeIssue), valid_fields: entry.fields },
    );
  }

  private async withTimeout(entry: Entry, call: ToolCall, args: unknown, ctx: ToolContext): Promise<unknown> {
    const timeout = new AbortController();
    const signal = AbortSignal.any([ctx.signal, timeout.signal]);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    // The race also covers implementations that ignore their signal: the result comes back
    // on time either way, and the aborted fetch is left to fail on its own.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new ToolFailure(
          "timeout",
          `The ${call.name} service did not answer within ${entry.timeoutMs / 1000} s. Tell the user it is not reachable right now; do not guess the answer.`,
        );
        reject(err);
        timeout.abort(err);
      }, entry.timeoutMs);
      onAbort = () => reject(new ToolFailure("timeout", "The turn was cancelled.", { reason: "cancelled" }));
      if (ctx.signal.aborted) onAbort();
      else ctx.signal.addEventListener("abort", onAbort, { once: true });
    });
    const runCtx: ToolRunContext = {
      ...ctx,
      signal,
      userKey: userKeyOfContext(ctx),
      turn: ctx,
      log: this.opts.log.child({ tool: call.name, callId: call.id }),
    };
    try {
      return await Promise.race([entry.execute(args, runCtx), deadline]);
    } finally {
      clearTimeout(timer);
      if (onAbort) ctx.signal.removeEventListener("abort", onAbort);
    }
  }

  private toFailure(err: unknown, call: ToolCall): ToolFailure {
    if (err instanceof ToolFailure) return err;
    if (err instanceof ToolError) return new ToolFailure(err.code, err.message, {}, { cause: err });
    return new ToolFailure(
      "backend_error",
      `The ${call.name} tool failed unexpectedly. Tell the user it is not available right now; do not guess the answer.`,
      {},
      { cause: err },
    );
  }
}

/** The JSON the model reads for a failed call. */
function modelError(failure: ToolFailure): Record<string, unknown> {
  const { reason: _reason, ...details } = failure.details;
  return { error: failure.outcome, message: failure.message, ...details };
}

function describeCause(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`.slice(0, 500);
  return String(cause).slice(0, 500);
}

function describeIssue(issue: z.core.$ZodIssue): { field: string; problem: string } {
  if (issue.code === "unrecognized_keys") {
    return { field: issue.keys.join(", "), problem: "not a parameter of this tool" };
  }
  return { field: issue.path.map(String).join(".") || "(arguments)", problem: issue.message };
}
