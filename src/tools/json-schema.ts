/**
 * zod schema -> the JSON schema the model sees. OpenAI's strict mode (structured outputs for
 * tools) accepts a subset of JSON schema: every property listed in `required` (optional ones
 * expressed as nullable), `additionalProperties: false` on every object, and only some keywords.
 * We make a schema strict when that keeps its meaning, and say so; otherwise `strict` is false
 * and the schema is sent as it is.
 */
import { z } from "zod";

/**
 * Keywords OpenAI documents as supported in strict schemas ("Supported schemas" in the
 * Structured Outputs guide). Everything else (minLength, maxLength, default, $schema, ...)
 * is dropped from what the model sees; the zod schema still enforces it when parsing.
 */
const STRICT_KEYWORDS = new Set([
  "type",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "anyOf",
  "enum",
  "const",
  "description",
  "title",
  "pattern",
  "format",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minItems",
  "maxItems",
  "$defs",
  "$ref",
]);

type JsonSchema = Record<string, unknown>;

export interface ModelSchema {
  parameters: JsonSchema;
  strict: boolean;
}

export function toModelSchema(schema: z.ZodType): ModelSchema {
  const raw = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const state = { strict: true };
  const parameters = clean(raw, state);
  if (parameters.type !== "object") state.strict = false;
  return { parameters, strict: state.strict };
}

function clean(node: JsonSchema, state: { strict: boolean }): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (!STRICT_KEYWORDS.has(key)) continue;
    // zod writes int() as +-MAX_SAFE_INTEGER bounds: noise for the model.
    if ((key === "minimum" || key === "maximum") && typeof value === "number") {
      if (Math.abs(value) >= Number.MAX_SAFE_INTEGER) continue;
    }
    out[key] = value;
  }
  // A format says it better than zod's long email/uuid regexes, which strict mode may reject.
  if (typeof out.format === "string") delete out.pattern;

  if (isRecord(out.properties)) {
    const properties: JsonSchema = {};
    const required = new Set(Array.isArray(out.required) ? (out.required as string[]) : []);
    for (const [name, prop] of Object.entries(out.properties)) {
      const child = isRecord(prop) ? clean(prop, state) : {};
      properties[name] = child;
      if (!required.has(name)) {
        // Strict mode needs every key present; a nullable one keeps its meaning as "required
        // but may be null". An optional non-nullable key cannot be expressed strictly.
        if (acceptsNull(child)) required.add(name);
        else state.strict = false;
      }
    }
    out.properties = properties;
    out.required = [...required];
  }
  if (out.type === "object") {
    if (out.additionalProperties === undefined) out.additionalProperties = false;
    else if (out.additionalProperties !== false) state.strict = false;
    if (!isRecord(out.properties)) {
      out.properties = {};
      out.required = [];
    }
  }
  if (isRecord(out.items)) out.items = clean(out.items, state);
  if (Array.isArray(out.anyOf)) {
    out.anyOf = out.anyOf.map((branch) => (isRecord(branch) ? clean(branch, state) : branch));
  }
  if (isRecord(out.$defs)) {
    out.$defs = Object.fromEntries(
      Object.entries(out.$defs).map(([k, v]) => [k, isRecord(v) ? clean(v, state) : v]),
    );
  }
  return out;
}

function acceptsNull(node: JsonSchema): boolean {
  if (node.type === "null") return true;
  if (Array.isArray(node.type) && node.type.includes("null")) return true;
  if (Array.isArray(node.anyOf)) return node.anyOf.some((b) => isRecord(b) && acceptsNull(b));
  return false;
}

function isRecord(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
