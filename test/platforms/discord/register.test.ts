import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.js";
import { silentLogger } from "../../../src/log.js";
import {
  commandsSchema,
  FORGET,
  HANDOFF,
  loadCommandDefinitions,
  SUMMARIZE,
  SUMMARIZE_DEFAULT_COUNT,
  SUMMARIZE_MAX_COUNT,
} from "../../../src/platforms/discord/commands.js";
import { registerCommands } from "../../../src/platforms/discord/register.js";
import { type FakeDiscord, startFakeDiscord } from "../../fakes/discord/index.js";

describe("Discord command registration", () => {
  let fake: FakeDiscord;

  afterEach(async () => {
    await fake?.close();
  });

  function env(extra: Record<string, string> = {}) {
    return loadConfig({
      DISCORD_TOKEN: fake.token,
      DISCORD_APPLICATION_ID: fake.applicationId,
      DISCORD_API_URL: fake.apiUrl,
      ...extra,
    }).env;
  }

  it("registers the manifest's commands for one guild when DISCORD_GUILD_ID is set", async () => {
    fake = await startFakeDiscord();
    const guild = fake.addGuild("test server");

    const result = await registerCommands({ env: env({ DISCORD_GUILD_ID: guild.id }), log: silentLogger() });

    expect(result).toEqual({
      scope: "guild",
      guildId: guild.id,
      names: ["summarize", "forget", "assistant", "handoff"],
    });
    expect(fake.rest.commands.get(guild.id)?.map((c) => c.name)).toEqual([
      "summarize",
      "forget",
      "assistant",
      "handoff",
    ]);
    expect(fake.rest.commands.get("global")).toBeUndefined();
  });

  it("registers globally without a guild, replacing what was there", async () => {
    fake = await startFakeDiscord();
    await registerCommands({ env: env(), log: silentLogger() });
    const result = await registerCommands({ env: env(), log: silentLogger() });

    expect(result.scope).toBe("global");
    expect(fake.rest.commands.get("global")?.map((c) => c.name)).toEqual([
      "summarize",
      "forget",
      "assistant",
      "handoff",
    ]);
  });

  it("explains a missing token instead of calling Discord", async () => {
    fake = await startFakeDiscord();
    const bare = loadConfig({ DISCORD_API_URL: fake.apiUrl }).env;

    await expect(registerCommands({ env: bare, log: silentLogger() })).rejects.toThrow(/DISCORD_TOKEN/);
    expect(fake.requests).toHaveLength(0);
  });

  it("ships /handoff with the optional reason the handler reads", async () => {
    const handoff = (await loadCommandDefinitions()).find((c) => c.name === HANDOFF.name);
    expect(handoff?.options?.find((o) => o.name === HANDOFF.reason)).toMatchObject({
      type: 3,
      required: false,
    });
  });

  it("ships a manifest whose /summarize options match what the handler reads", async () => {
    const [summarize] = await loadCommandDefinitions();
    expect(summarize?.name).toBe(SUMMARIZE.name);
    const count = summarize?.options?.find((o) => o.name === SUMMARIZE.count);
    expect(count?.type).toBe(4);
    expect(count?.max_value).toBe(SUMMARIZE_MAX_COUNT);
    expect(count?.min_value).toBeLessThanOrEqual(SUMMARIZE_DEFAULT_COUNT);
    expect(summarize?.options?.find((o) => o.name === SUMMARIZE.share)?.type).toBe(5);
  });

  it("ships /forget with the optional user option its handler reads", async () => {
    const forget = (await loadCommandDefinitions()).find((c) => c.name === FORGET.name);
    expect(forget?.options).toEqual([
      expect.objectContaining({ name: FORGET.user, type: 3, required: false }),
    ]);
  });

  it("rejects command definitions Discord would refuse", () => {
    expect(commandsSchema.safeParse([{ name: "Summarize", type: 1, description: "x" }]).success).toBe(false);
    expect(commandsSchema.safeParse([{ name: "summarize", type: 1, description: "" }]).success).toBe(false);
  });
});
