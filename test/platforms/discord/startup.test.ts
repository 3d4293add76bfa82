import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.js";
import { HttpServer } from "../../../src/http/server.js";
import { silentLogger } from "../../../src/log.js";
import { DISCORD_PERMISSIONS, inviteUrl } from "../../../src/platforms/discord/client.js";
import { createDiscordAdapter } from "../../../src/platforms/discord/index.js";
import { type FakeDiscord, startFakeDiscord } from "../../fakes/discord/index.js";
import { makeConversation } from "../../support/conversation.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";

describe("Discord start-up", () => {
  let fake: FakeDiscord;

  afterEach(async () => {
    await fake?.close();
  });

  function adapterFor(env: Record<string, string> = {}) {
    const { conversation, store, metrics } = makeConversation({
      model: new ScriptedModel(() => reply("hi there")),
    });
    const log = silentLogger();
    const config = loadConfig({
      DISCORD_TOKEN: fake.token,
      DISCORD_APPLICATION_ID: fake.applicationId,
      DISCORD_API_URL: fake.apiUrl,
      ...env,
    });
    return createDiscordAdapter(
      { env: config.env, conversation, http: new HttpServer(log), store, log, metrics },
      { readyTimeoutMs: 5000 },
    );
  }

  it("names the developer-portal switch when the Message Content intent is not enabled", async () => {
    fake = await startFakeDiscord({ privilegedIntents: 0 });
    fake.addGuild("g");
    const adapter = adapterFor();

    const err = await adapter.start().catch((e: unknown) => e as Error);

    expect(fake.gateway.closes).toEqual([4014]);
    expect(err).toBeInstanceOf(Error);
    expect(err?.message).toContain("4014");
    expect(err?.message).toContain("MESSAGE CONTENT INTENT");
    expect(err?.message).toContain(`https://discord.com/developers/applications/${fake.applicationId}/bot`);
    expect(adapter.isReady()).toBe(false);
  });

  it("says the token is wrong when Discord rejects it", async () => {
    fake = await startFakeDiscord();
    const adapter = adapterFor({ DISCORD_TOKEN: "not-the-token" });

    const err = await adapter.start().catch((e: unknown) => e as Error);

    expect(err?.message).toContain("DISCORD_TOKEN");
    expect(adapter.isReady()).toBe(false);
  });

  it("is ready once connected and not after stop", async () => {
    fake = await startFakeDiscord();
    fake.addGuild("g");
    const adapter = adapterFor();

    await adapter.start();
    expect(adapter.isReady()).toBe(true);
    expect(fake.gateway.sessions.size).toBe(1);
    const [session] = fake.gateway.sessions;
    // Guilds, guild messages, DMs and message content: what docs/discord.md tells people to enable.
    expect(session?.intents).toBe((1 << 0) | (1 << 9) | (1 << 12) | (1 << 15));

    await adapter.stop();
    expect(adapter.isReady()).toBe(false);
  });

  it("keeps the gateway alive with heartbeats and answers what was sent while it reconnected", async () => {
    // 1 s, not Discord's 41 s, so two heartbeats come quickly; not 100 ms, at which a busy machine
    // missed an ACK and discord.js dropped the session as a zombie instead of resuming it.
    fake = await startFakeDiscord({ heartbeatIntervalMs: 1_000 });
    const guild = fake.addGuild("g");
    const channel = fake.addChannel(guild, "general");
    const alice = fake.addUser("alice");
    const adapter = adapterFor();
    await adapter.start();
    const [first] = fake.gateway.sessions;
    await fake.waitFor(() => (first?.heartbeats ?? 0) >= 2, "two heartbeats");

    fake.gateway.closeAll(4000); // "unknown error": the client resumes the session
    const question = fake.say(alice, channel, `${fake.mention} still there?`);
    const answer = await fake.waitFor(
      () => fake.botMessages(question.id).find((m) => m.components.length === 0),
      "an answer after the reconnect",
    );

    expect(answer.content).toBe("hi there");
    expect(adapter.isReady()).toBe(true);
    expect([...fake.gateway.sessions].map((s) => s.id)).toEqual([first?.id]); // resumed, not re-identified
    await adapter.stop();
  });

  it("invites the bot with exactly the permissions it uses and the commands scope", () => {
    // View Channel, Send Messages, Read Message History, Create Public Threads, Send Messages in Threads.
    expect(DISCORD_PERMISSIONS).toBe(309237713920n);
    expect(inviteUrl("123")).toBe(
      "https://discord.com/oauth2/authorize?client_id=123&scope=bot+applications.commands&permissions=309237713920",
    );
  });
});
