/**
 * What a tool is: a zod schema for its arguments (the model sees it as JSON schema and its
 * arguments are parsed with it), a description written for the model, a status line for the
 * chat, a timeout, and an implementation. Implementations return a plain JSON-able value on
 * success and throw `ToolFailure` for anything the model should hear about.
 */
import type { z } from "zod";
import { ToolError } from "../core/errors.js";
import type { Source, ToolContext } from "../core/ports.js";
import type { Logger } from "../log.js";

export type ToolErrorCode = ToolError["code"];

/**
 * A failure the model reads and can act on. `reason` refines `code` for the model and the
 * metrics ("ambiguous_location" is an `invalid_arguments`); `details` are extra JSON fields of
 * the result (candidates, known categories, ...).
 */
export class ToolFailure extends ToolError {
  constructor(
    code: ToolErrorCode,
    message: string,
    readonly details: { reason?: string; [field: string]: unknown } = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }

  /** The label the model and the metrics see: the specific reason, else the code. */
  get outcome(): string {
    return this.details.reason ?? this.code;
  }
}

/** What an implementation gets besides its arguments. */
export interface ToolRunContext extends ToolContext {
  /** Aborted when the tool times out or the turn is cancelled: pass it to every fetch. */
  signal: AbortSignal;
  /** `platform:workspaceId:userId` of the asking chat user (from the turn, never the model). */
  userKey: string;
  /**
   * The same object for every call of one turn (the turn's ToolContext): a tool may key a
   * WeakMap on it to remember something for the rest of the turn only.
   */
  turn: object;
  log: Logger;
}

export interface ToolDefinition<S extends z.ZodType = z.ZodType, R = unknown> {
  /** Function name the model calls (`^[a-zA-Z0-9_-]{1,64}$`). */
  name: string;
  /** Written for the model: when to call it, what it returns, what it cannot do. */
  description: string;
  /** Shown in the chat while the tool runs ("checking the weather..."). */
  statusText: string;
  /** Arguments schema. Use a strict object; optional fields as `.nullish()` so strict mode works. */
  schema: S;
  /** Overrides the registry's default timeout. */
  timeoutMs?: number;
  /**
   * Set for tools whose results are about one person (orders, accounts): how a successful
   * result reads for that person alone. In shared conversations the core sends this text to
   * the asker privately and the model never sees the result (core/personal-data.ts).
   */
  personalData?: { render(result: R): string };
  run(args: z.output<S>, ctx: ToolRunContext): Promise<R>;
  /** The citable articles in a successful result, for the answer's "Sources:" line. */
  sources?(value: R): Source[];
}

/** Identity helper that keeps the schema's type flowing into `run`'s arguments. */
export function defineTool<S extends z.ZodType, R = unknown>(
  def: ToolDefinition<S, R>,
): ToolDefinition<S, R> {
  return def;
}

export function userKeyOfContext(ctx: Pick<ToolContext, "platform" | "workspaceId" | "userId">): string {
  return `${ctx.platform}:${ctx.workspaceId}:${ctx.userId}`;
}
