/**
 * Small HTTP helpers shared by the fake's REST routes: Discord-shaped errors and JSON replies.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** A Discord API error: HTTP status, JSON error code and message (docs, "JSON Error Codes"). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly errors?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const unknownChannel = () => new ApiError(404, 10003, "Unknown Channel");
export const unknownMessage = () => new ApiError(404, 10008, "Unknown Message");
export const unknownInteraction = () => new ApiError(404, 10062, "Unknown interaction");
export const missingAccess = () => new ApiError(403, 50001, "Missing Access");
export const missingPermissions = () => new ApiError(403, 50013, "Missing Permissions");

/** 50035 with one field error, in Discord's nested `errors` shape. */
export function invalidForm(field: string, code: string, message: string): ApiError {
  const errors: Record<string, unknown> = {};
  let node = errors;
  const parts = field.split(".");
  parts.forEach((part, i) => {
    const next: Record<string, unknown> = i === parts.length - 1 ? { _errors: [{ code, message }] } : {};
    node[part] = next;
    node = next;
  });
  return new ApiError(400, 50035, "Invalid Form Body", errors);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (status === 204) {
    res.writeHead(204, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return undefined;
  const type = req.headers["content-type"] ?? "";
  if (!type.startsWith("application/json"))
    throw new ApiError(400, 50109, "The request body contains invalid JSON.");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, 50109, "The request body contains invalid JSON.");
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
