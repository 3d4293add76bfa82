/**
 * `npm run discord:register`: sends the slash commands of manifests/discord-commands.json to
 * Discord. With DISCORD_GUILD_ID they are registered for that one server (instant, good for
 * trying things out); without it, globally (every server the bot is in, and DMs).
 * Registration is a bulk overwrite: commands no longer in the manifest disappear.
 */
import { pathToFileURL } from "node:url";
import { Routes } from "discord.js";
import { type Env, loadConfig } from "../../config.js";
import { PlatformError } from "../../core/errors.js";
import { createLogger, type Logger } from "../../log.js";
import { Metrics } from "../../metrics.js";
import { type CommandDefinition, loadCommandDefinitions } from "./commands.js";
import { call, createRest } from "./rest.js";

export interface RegisterResult {
  scope: "global" | "guild";
  guildId?: string;
  names: string[];
}

export async function registerCommands(opts: {
  env: Env;
  log: Logger;
  commands?: CommandDefinition[];
}): Promise<RegisterResult> {
  const { env } = opts;
  if (!env.DISCORD_TOKEN || !env.DISCORD_APPLICATION_ID) {
    throw new Error(
      "Set DISCORD_TOKEN and DISCORD_APPLICATION_ID (Developer Portal -> your application) first.",
    );
  }
  const commands = opts.commands ?? (await loadCommandDefinitions());
  const rest = createRest({
    apiUrl: env.DISCORD_API_URL,
    token: env.DISCORD_TOKEN,
    metrics: new Metrics(),
    log: opts.log,
  });
  const appId = env.DISCORD_APPLICATION_ID;
  const guildId = env.DISCORD_GUILD_ID;
  const route = guildId ? Routes.applicationGuildCommands(appId, guildId) : Routes.applicationCommands(appId);
  let stored: { name: string }[];
  try {
    stored = await call<{ name: string }[]>("register commands", () => rest.put(route, { body: commands }));
  } catch (err) {
    throw explain(err, env);
  }
  return {
    scope: guildId ? "guild" : "global",
    ...(guildId ? { guildId } : {}),
    names: stored.map((c) => c.name),
  };
}

/** The usual set-up mistakes, said plainly. */
function explain(err: unknown, env: Env): Error {
  const code = err instanceof PlatformError ? err.code : undefined;
  if (code === "unauthorized")
    return new Error("Discord rejected DISCORD_TOKEN (401). Copy the bot token again.", { cause: err });
  if (code === "missing_access" || code === "api_10002") {
    return new Error(
      `DISCORD_APPLICATION_ID (${env.DISCORD_APPLICATION_ID}) is not the application of DISCORD_TOKEN, or the bot was not invited to DISCORD_GUILD_ID with the applications.commands scope.`,
      { cause: err },
    );
  }
  if (code === "api_10004") {
    return new Error(`DISCORD_GUILD_ID (${env.DISCORD_GUILD_ID}) is not a server this bot is in.`, {
      cause: err,
    });
  }
  return err instanceof Error ? err : new Error(String(err));
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ level: config.env.LOG_LEVEL, format: config.env.LOG_FORMAT });
  const result = await registerCommands({ env: config.env, log });
  const where = result.scope === "guild" ? `in server ${result.guildId}` : "globally (all servers and DMs)";
  console.log(`Registered ${result.names.map((n) => `/${n}`).join(", ")} ${where}.`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  });
}
