/**
 * The slash commands, defined in manifests/discord-commands.json (what `npm run
 * discord:register` sends to Discord) and validated here with Discord's own rules, so a typo
 * fails before registration and the handlers agree with the manifest on option names.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";

export const COMMANDS_MANIFEST_URL = new URL("../../../manifests/discord-commands.json", import.meta.url);

/** Names the handlers rely on; the manifest test checks they exist there. */
export const SUMMARIZE = { name: "summarize", count: "count", share: "share" } as const;
export const ASSISTANT = { name: "assistant", action: "action" } as const;
/** `/handoff [reason]`: hand the conversation to the support team (docs/handoff.md). */
export const HANDOFF = { name: "handoff", reason: "reason" } as const;
/** Messages /summarize reads when no count is given, and at most (manifest min/max agree). */
export const SUMMARIZE_DEFAULT_COUNT = 100;
export const SUMMARIZE_MAX_COUNT = 1000;
/** /forget [user]: the asker's data, or (admins) another person's by id. */
export const FORGET = { name: "forget", user: "user" } as const;

/** Names: lower case, 1-32 chars; descriptions 1-100 chars (docs, "Application Command Object"). */
const name = z.string().regex(/^[-_\p{Ll}\p{N}]{1,32}$/u, "lower-case name of 1-32 letters, digits, - or _");
const description = z.string().min(1).max(100);

const option = z.object({
  type: z.number().int().min(3).max(11),
  name,
  description,
  required: z.boolean().optional(),
  min_value: z.number().optional(),
  max_value: z.number().optional(),
  choices: z
    .array(z.object({ name: z.string().min(1).max(100), value: z.union([z.string(), z.number()]) }))
    .optional(),
});

const command = z.object({
  name,
  type: z.literal(1),
  description,
  /** 0 guild, 1 bot DM, 2 private channel (docs, "Interaction Context Types"). */
  contexts: z.array(z.number().int().min(0).max(2)).optional(),
  integration_types: z.array(z.number().int().min(0).max(1)).optional(),
  default_member_permissions: z.string().nullable().optional(),
  options: z.array(option).max(25).optional(),
});

export type CommandDefinition = z.infer<typeof command>;

export const commandsSchema = z.array(command).min(1).max(100);

export async function loadCommandDefinitions(url: URL = COMMANDS_MANIFEST_URL): Promise<CommandDefinition[]> {
  const raw = JSON.parse(await readFile(url, "utf8")) as unknown;
  const parsed = commandsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`${url.pathname} is not a valid list of Discord commands: ${problems}`);
  }
  return parsed.data;
}
