/**
 * GET a JSON backend and validate its answer with zod. Every way it can go wrong becomes a
 * `ToolFailure("backend_error")` whose message the model can pass on; the details (status,
 * validation issues) go to the log, not to the model.
 */
import type { z } from "zod";
import { ToolFailure } from "./tool.js";

export type FetchLike = typeof fetch;

export interface GetJsonOptions<S extends z.ZodType> {
  fetch: FetchLike;
  url: URL;
  signal: AbortSignal;
  /** Schema of a 2xx body. */
  schema: S;
  /** Human name of the backend for messages ("the weather service"). */
  service: string;
  /** Statuses that are an answer, not a failure (e.g. 404 for "no such order"): returned as null. */
  nullOn?: number[];
  /** Reads a reason out of an error body (Open-Meteo: `{"error":true,"reason":"..."}`). */
  errorReason?: (body: unknown) => string | undefined;
}

export async function getJson<S extends z.ZodType>(opts: GetJsonOptions<S>): Promise<z.output<S> | null> {
  let res: Response;
  try {
    res = await opts.fetch(opts.url, { signal: opts.signal, headers: { accept: "application/json" } });
  } catch (err) {
    if (opts.signal.aborted) throw opts.signal.reason ?? err;
    throw new ToolFailure("backend_error", `Could not reach ${opts.service}.`, {}, { cause: err });
  }
  if (opts.nullOn?.includes(res.status)) {
    await res.body?.cancel();
    return null;
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch (err) {
    if (opts.signal.aborted) throw opts.signal.reason ?? err;
    body = undefined;
  }
  if (!res.ok) {
    const reason = opts.errorReason?.(body);
    throw new ToolFailure(
      "backend_error",
      reason
        ? `${capitalize(opts.service)} refused the request: ${reason}`
        : `${capitalize(opts.service)} failed (HTTP ${res.status}).`,
      {},
      { cause: new Error(`HTTP ${res.status} from ${opts.url.origin}`) },
    );
  }
  const parsed = opts.schema.safeParse(body);
  if (!parsed.success) {
    throw new ToolFailure(
      "backend_error",
      `${capitalize(opts.service)} sent an answer we could not read.`,
      {},
      {
        cause: parsed.error,
      },
    );
  }
  return parsed.data;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
