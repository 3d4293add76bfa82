/**
 * Hand-offs to the support team (docs/handoff.md), from request to return:
 *
 * 1. `request` (the handoff_to_human tool, /handoff, the "Talk to a person" button): open one
 *    record per conversation, tell the customer at once, announce it on the team desk, then
 *    stream a summary of the conversation into the team thread (in the background).
 * 2. While it is active, the core hands every new customer message to `relayCustomer` instead of
 *    the model (after dedup, so a redelivery is relayed once); it is copied to the team thread.
 * 3. `teamReply`: a team member's reply in the team thread goes to the customer's conversation
 *    under their name (a `once` mark per platform message id: redeliveries and replicas relay it
 *    once). The first reply claims an open hand-off; a reply of `done` returns it.
 * 4. `claim` / `giveBack` (buttons, the team page): one atomic status change each, so exactly one
 *    replica tells the customer. Returning writes what was said into the conversation's history,
 *    so the model knows it when it answers again.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../../log.js";
import type { Metrics } from "../../metrics.js";
import type { SummarizeRequest, TurnResult } from "../conversation.js";
import type { HandoffRequest, HandoffRequests, ThreadStore } from "../ports.js";
import { type IncomingMessage, type Platform, threadKeyOf, userKeyOf } from "../types.js";
import { ConversationLocks } from "./conversation-lock.js";
import { isExpired } from "./expiry.js";
import { historyOf, transcriptOf } from "./history.js";
import type { ConversationPoster, TeamDesk } from "./ports.js";
import { type HandoffRecord, isActive, type TeamThreadRef, teamThreadKeyOf } from "./record.js";
import type { HandoffStore } from "./store.js";
import { HANDOFF_TEXT } from "./texts.js";

/** A team message id stays "seen" this long: Slack redelivers for ~5 minutes, Discord resumes within minutes. */
const RELAY_ONCE_TTL_MS = 60 * 60 * 1000;
/**
 * One new hand-off per person in this window by `/handoff`: the command in one Discord or Slack
 * channel after another must not flood the team channel (asking again in the same conversation is
 * answered by `alreadyOpen`, which this does not delay).
 */
const REQUEST_COOLDOWN_MS = 60_000;
/** Who "returned" a hand-off whose team channel could not be posted to (shown on the record). */
const UNREACHABLE_BY = "(team channel unreachable)";
/** Expired hand-offs stay readable this long (the sweep's window; "already returned" for late replies). */
const EXPIRED_KEPT_MS = 60 * 60 * 1000;
/** Who "returned" a hand-off that reached HANDOFF_TTL_S (shown on the record). */
const EXPIRED_BY = "(expired)";
/** The summary covers the conversation's most recent turns, not a week of chat. */
const SUMMARY_MAX_TURNS = 20;

export interface HandoffSettings {
  /** Records expire this long after their last change (HANDOFF_TTL_S). */
  ttlMs: number;
  /** Told to Slack and Discord customers when no team channel is configured (HANDOFF_FALLBACK_TEXT). */
  fallbackText: string;
  /** Where hand-offs from Slack and Discord go: the configured team channel's platform. */
  teamPlatform: "slack" | "discord" | undefined;
  botName: string;
  historyMaxTurns: number;
  historyTtlMs: number;
}

export interface HandoffServiceDeps {
  store: HandoffStore;
  threads: ThreadStore;
  summarize: (req: SummarizeRequest) => Promise<TurnResult>;
  log: Logger;
  metrics: Metrics;
  settings: HandoffSettings;
  now?: () => number;
}

export interface TeamMessage {
  team: Pick<TeamThreadRef, "platform" | "channelId" | "threadId">;
  /** The platform's id of the message: the exactly-once key. */
  messageId: string;
  author: string;
  text: string;
}

/**
 * relayed: the customer has it; undelivered: their conversation would not take it (the team was
 * told); returned: the hand-off is over; done: the reply handed it back; duplicate: seen already
 * or empty; unknown: not a hand-off's thread.
 */
export type TeamReplyOutcome = "relayed" | "undelivered" | "returned" | "done" | "duplicate" | "unknown";

export class HandoffService implements HandoffRequests {
  private readonly posters = new Map<Platform, ConversationPoster>();
  private readonly desks = new Map<TeamThreadRef["platform"], TeamDesk>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly now: () => number;
  /** Return and team replies take the conversation's lock in turn: the customer sees them in history order. */
  private readonly locks: ConversationLocks;

  constructor(private readonly deps: HandoffServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.locks = new ConversationLocks(deps.threads, deps.log, this.now);
  }

  /** Each adapter registers how to post into its conversations. */
  registerPoster(poster: ConversationPoster): void {
    this.posters.set(poster.platform, poster);
  }

  /** The team channel's adapter (and the web chat, for the local team page) registers its desk. */
  registerDesk(desk: TeamDesk): void {
    this.desks.set(desk.platform, desk);
  }

  /** Resolves when every background summary started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  get store(): HandoffStore {
    return this.deps.store;
  }

  async request(req: HandoffRequest): Promise<void> {
    const { store, settings, metrics } = this.deps;
    const conv = req.conversation;
    const log = this.deps.log.child({
      platform: conv.platform,
      threadKey: threadKeyOf(conv),
      trigger: req.trigger,
    });
    const poster = this.posters.get(conv.platform);
    const desk = this.deskFor(conv.platform);
    if (!desk) {
      log.info("hand-off asked without a team channel: fallback text sent");
      await poster?.post(conv, settings.fallbackText);
      return;
    }
    const link = await poster?.link?.(conv).catch((err: unknown) => {
      log.warn({ err }, "no link to the conversation");
      return undefined;
    });
    const record: HandoffRecord = {
      id: randomUUID(),
      conversation: {
        platform: conv.platform,
        workspaceId: conv.workspaceId,
        channelId: conv.channelId,
        threadId: conv.threadId,
      },
      userKey: userKeyOf({ platform: conv.platform, userScope: req.userScope, userId: req.userId }),
      userId: req.userId,
      ...(req.userName ? { userName: req.userName } : {}),
      reason: req.reason.slice(0, 500),
      trigger: req.trigger,
      status: "open",
      openedAt: this.now(),
      ...(link ? { link } : {}),
    };
    const question = req.question?.trim() || undefined;
    const active = await store.activeFor(threadKeyOf(conv));
    // Every new ask starts the person's minute; only `/handoff` is held to it: it is what opens a
    // new thread (and a new announcement) in channel after channel. The button and the tool come
    // from inside a conversation the customer is already in (asking again after a Return is fine).
    const fresh = active !== undefined || req.allowanceTaken === true || (await this.allowNew(req));
    if (!fresh && req.trigger === "command") {
      log.info("hand-off asked again within a minute in another conversation: refused");
      await poster?.post(conv, HANDOFF_TEXT.tooSoon);
      return;
    }
    // Kept past its deadline, so the expiry sweep can hand it back (expiry.ts) and late team
    // replies still hear that it was.
    const opened = active
      ? ({ opened: false, active } as const)
      : await store.open(record, settings.ttlMs + EXPIRED_KEPT_MS);
    if (!opened.opened) {
      log.info({ handoffId: opened.active?.id }, "hand-off asked again while one is active");
      await poster?.post(conv, HANDOFF_TEXT.alreadyOpen);
      return;
    }
    let team: TeamThreadRef;
    try {
      team = await desk.announce(record);
    } catch (err) {
      // Nobody would see it: give the conversation back at once rather than leave it in limbo.
      log.error({ err, handoffId: record.id }, "could not announce the hand-off: fallback text sent");
      await store.transition(record.id, "closed", "(not announced)", this.now());
      await poster?.post(conv, settings.fallbackText);
      return;
    }
    const attached = (await store.attachTeam(record.id, team)) ?? { ...record, team };
    metrics.handoffs.inc({ platform: conv.platform, reason: req.trigger, event: "opened" });
    log.info({ handoffId: record.id, desk: desk.platform }, "hand-off opened");
    await poster?.post(conv, HANDOFF_TEXT.requested);
    this.background(this.summarizeFor(attached, desk, team, log, question));
  }

  /**
   * Take the person's allowance of one new hand-off a minute: false when they asked for one
   * elsewhere within the minute. An adapter that must post to open a conversation for the
   * hand-off (`/handoff` in a channel) asks this first, then passes `allowanceTaken`.
   */
  async allowNew(who: Pick<HandoffRequest, "conversation" | "userScope" | "userId">): Promise<boolean> {
    const userKey = userKeyOf({
      platform: who.conversation.platform,
      userScope: who.userScope,
      userId: who.userId,
    });
    return this.deps.store.once(`ask:${userKey}`, REQUEST_COOLDOWN_MS);
  }

  /**
   * Called by the core for every admitted customer message: true when the conversation is with
   * the team (the message was relayed and must not be answered).
   */
  async activeFor(msg: IncomingMessage): Promise<HandoffRecord | null> {
    return (await this.deps.store.activeFor(threadKeyOf(msg))) ?? null;
  }

  async relayCustomer(msg: IncomingMessage, known?: HandoffRecord | null): Promise<boolean> {
    const rec = known === undefined ? await this.deps.store.activeFor(threadKeyOf(msg)) : known;
    if (!rec) return false;
    if (isExpired(rec, this.deps.settings.ttlMs, this.now())) {
      // Nobody took it in time: hand it back now rather than relay into a thread nobody reads.
      await this.expire(rec);
      return false;
    }
    const author = msg.userName ?? rec.userName ?? "Customer";
    const desk = rec.team ? this.desks.get(rec.team.platform) : undefined;
    if (rec.team && desk) {
      try {
        await desk.relay(rec.team, author, msg.text);
      } catch (err) {
        // Nobody would read it (the bot was removed from the team channel, the channel is gone):
        // give the conversation back, so the customer is answered instead of waiting on no one.
        this.deps.log.error({ err, handoffId: rec.id }, "could not relay to the team: hand-off returned");
        await this.close(rec.id, UNREACHABLE_BY, () => HANDOFF_TEXT.teamUnreachable);
        return false;
      }
    }
    // Kept for the history after the relay: a message the team never saw is answered, not kept twice.
    await this.deps.store
      .appendLine(rec.id, { from: "customer", name: author, text: msg.text, at: this.now() })
      .catch((err: unknown) =>
        this.deps.log.error({ err, handoffId: rec.id }, "relayed, but not kept for the history"),
      );
    this.deps.log.info({ handoffId: rec.id, chars: msg.text.length }, "customer message relayed to the team");
    return true;
  }

  /** A team member wrote in a team thread. True when it belonged to a hand-off (relayed or not). */
  async teamReply(m: TeamMessage): Promise<boolean> {
    return (await this.teamReplyOutcome(m)) !== "unknown";
  }

  /** What became of a team member's message (the local team page answers with it). */
  async teamReplyOutcome(m: TeamMessage): Promise<TeamReplyOutcome> {
    const { store } = this.deps;
    const found = await store.forTeamThread(teamThreadKeyOf(m.team));
    if (!found) return "unknown";
    if (!(await store.once(`team:${m.team.platform}:${m.messageId}`, RELAY_ONCE_TTL_MS))) return "duplicate";
    if (isActive(found) && isExpired(found, this.deps.settings.ttlMs, this.now())) await this.expire(found);
    const seen = isActive(found) ? ((await store.get(found.id)) ?? found) : found;
    if (!isActive(seen)) {
      await this.toldReturned(seen);
      return "returned";
    }
    const text = m.text.trim();
    if (text.toLowerCase() === HANDOFF_TEXT.doneCommand) {
      await this.giveBack(found.id, m.author);
      return "done";
    }
    if (text === "") return "duplicate";
    // In turn with Return (which holds the same lock): a reply either reaches the customer and the
    // history before "handed back", or finds the hand-off returned. Never after, never lost.
    const lock = await this.locks.lock(found);
    try {
      const rec = (await store.get(found.id)) ?? found;
      if (!isActive(rec)) {
        await this.toldReturned(rec);
        return "returned";
      }
      if (rec.status === "open") await this.claim(rec.id, m.author);
      // Kept for the history only once the customer has it: the model must not think they saw it.
      if (!(await this.tellCustomer(rec, HANDOFF_TEXT.teamReply(m.author, text)))) return "undelivered";
      await store.appendLine(rec.id, { from: "team", name: m.author, text, at: this.now() });
      this.deps.log.info({ handoffId: rec.id, chars: text.length }, "team reply relayed to the customer");
      return "relayed";
    } finally {
      await lock.unlock();
    }
  }

  /** Say so, rather than let a team member talk to a customer who no longer hears them. */
  private async toldReturned(rec: HandoffRecord): Promise<void> {
    const desk = rec.team ? this.desks.get(rec.team.platform) : undefined;
    if (rec.team && rec.team.platform !== "web")
      await desk
        ?.note(rec.team, HANDOFF_TEXT.replyAfterReturn)
        .catch((err: unknown) => this.deps.log.warn({ err, handoffId: rec.id }, "could not tell the team"));
  }

  /**
   * Hand back a hand-off nobody finished within HANDOFF_TTL_S, telling the customer and the team
   * thread. The record's compare-and-set picks one caller across replicas; false for the others.
   */
  async expire(rec: HandoffRecord): Promise<boolean> {
    if (!(await this.close(rec.id, EXPIRED_BY, () => HANDOFF_TEXT.expired))) return false;
    this.deps.log.info(
      { handoffId: rec.id, status: rec.status },
      "hand-off expired: back with the assistant",
    );
    const desk = rec.team ? this.desks.get(rec.team.platform) : undefined;
    if (rec.team)
      await desk
        ?.note(rec.team, HANDOFF_TEXT.expiredTeam)
        .catch((err: unknown) => this.deps.log.warn({ err, handoffId: rec.id }, "could not tell the team"));
    return true;
  }

  /** Hand back every active hand-off past its deadline (the periodic sweep, expiry.ts). */
  async expireDue(limit: number): Promise<number> {
    const due = (await this.deps.store.listActive(limit)).filter((r) =>
      isExpired(r, this.deps.settings.ttlMs, this.now()),
    );
    let expired = 0;
    for (const rec of due) if (await this.expire(rec)) expired += 1;
    return expired;
  }

  /**
   * Post into the customer's conversation. When that fails (the customer left, the bot was removed
   * from their channel) the team is told in the hand-off's thread, rather than talking to no one.
   */
  private async tellCustomer(rec: HandoffRecord, text: string): Promise<boolean> {
    try {
      await this.posters.get(rec.conversation.platform)?.post(rec.conversation, text);
      return true;
    } catch (err) {
      this.deps.log.error({ err, handoffId: rec.id }, "could not post to the customer's conversation");
      const desk = rec.team ? this.desks.get(rec.team.platform) : undefined;
      if (rec.team)
        await desk
          ?.note(rec.team, HANDOFF_TEXT.undelivered)
          .catch((e: unknown) =>
            this.deps.log.warn({ err: e, handoffId: rec.id }, "could not tell the team"),
          );
      return false;
    }
  }

  /**
   * Whether a Claim or Return click came from the hand-off's own announcement: a button's value is
   * only an id, and one copied onto any other message must not let its clicker take or end it.
   */
  async clickedOnAnnouncement(
    id: string,
    where: Pick<TeamThreadRef, "platform" | "channelId" | "messageId">,
  ): Promise<boolean> {
    const team = (await this.deps.store.get(id))?.team;
    return (
      team !== undefined &&
      team.platform === where.platform &&
      team.channelId === where.channelId &&
      team.messageId === where.messageId
    );
  }

  /** A team member takes the hand-off. False when it was not open (claimed already, returned, gone). */
  async claim(id: string, by: string): Promise<boolean> {
    const rec = await this.deps.store.transition(id, "claimed", by, this.now());
    if (!rec) return false;
    const { metrics } = this.deps;
    const platform = rec.conversation.platform;
    metrics.handoffs.inc({ platform, reason: rec.trigger, event: "claimed" });
    metrics.handoffClaimSeconds.observe(
      { platform },
      Math.max(0, ((rec.claimedAt ?? this.now()) - rec.openedAt) / 1000),
    );
    this.deps.log.info({ handoffId: id }, "hand-off claimed");
    await this.tellCustomer(rec, HANDOFF_TEXT.claimed(by));
    await this.updateDesk(rec);
    return true;
  }

  /** Return to the assistant. False when it was closed already (another replica, a second click). */
  async giveBack(id: string, by: string): Promise<boolean> {
    return this.close(id, by, () => HANDOFF_TEXT.returned(by));
  }

  /**
   * Close a hand-off (one replica wins) and tell the customer `told`. What was said while the team
   * had it goes into the conversation's history, ending with what the customer was told, so the
   * model knows the hand-off is over and does not go on as if a person still had it.
   */
  private async close(id: string, by: string, told: () => string): Promise<boolean> {
    const { store, threads, settings, metrics } = this.deps;
    const before = await store.get(id);
    if (!before || !isActive(before)) return false;
    // Hold the thread from the moment the hand-off ends until its lines are in the history and
    // the customer was told: a customer message or a team reply arriving meanwhile waits for the
    // lock (as behind any turn), so it comes after them. If it cannot be had, close anyway.
    const lock = await this.locks.lock(before);
    let rec: HandoffRecord | undefined;
    try {
      rec = await store.transition(id, "closed", by, this.now());
    } finally {
      if (!rec) await lock.unlock();
    }
    if (!rec) return false;
    metrics.handoffs.inc({ platform: rec.conversation.platform, reason: rec.trigger, event: "closed" });
    const lines = await store.transcript(id).catch((err: unknown) => {
      this.deps.log.error({ err, handoffId: id }, "could not read what was relayed");
      return [];
    });
    const text = told();
    await this.tellCustomer(rec, text);
    // The commit appends atomically and releases the lock. Authored by the customer and indexed
    // for them, so `/forget` deletes what they wrote to the team with the rest of the conversation.
    await threads
      .commit(
        lock.threadKey,
        lock.owner,
        {
          at: this.now(),
          entries: [...historyOf(lines), { role: "assistant", content: text }],
          author: rec.userKey,
        },
        {
          maxTurns: settings.historyMaxTurns,
          ttlMs: settings.historyTtlMs,
          people: { userKeys: [rec.userKey], audience: "shared" },
        },
      )
      .catch((err: unknown) => {
        this.deps.log.error({ err, handoffId: id }, "could not save the hand-off to the history");
      });
    await lock.unlock();
    this.deps.log.info({ handoffId: id, relayed: lines.length }, "hand-off returned to the assistant");
    await this.updateDesk(rec);
    return true;
  }

  // -------------------------------------------------------------------------------------------

  /** The team channel for this platform's conversations; the web chat falls back to the team page. */
  private deskFor(platform: Platform): TeamDesk | undefined {
    const team = this.deps.settings.teamPlatform;
    if (team) return this.desks.get(team);
    return platform === "web" ? this.desks.get("web") : undefined;
  }

  private async updateDesk(rec: HandoffRecord): Promise<void> {
    const desk = rec.team ? this.desks.get(rec.team.platform) : undefined;
    await desk
      ?.update(rec)
      .catch((err: unknown) =>
        this.deps.log.warn({ err, handoffId: rec.id }, "could not update the team message"),
      );
  }

  private async summarizeFor(
    rec: HandoffRecord,
    desk: TeamDesk,
    team: TeamThreadRef,
    log: Logger,
    question: string | undefined,
  ): Promise<void> {
    const turns = await this.deps.threads.load(threadKeyOf(rec.conversation));
    const lines = transcriptOf(
      turns.slice(-SUMMARY_MAX_TURNS).flatMap((t) => t.entries),
      rec,
      this.deps.settings.botName,
    );
    // The message the model handed off on is not in the history yet: the team must see it.
    if (question) lines.push({ author: rec.userName ?? "Customer", text: question, at: rec.openedAt });
    if (lines.length === 0) {
      // Say so, rather than leave the team wondering whether a summary is still coming.
      await desk.note(team, HANDOFF_TEXT.noSummary);
      return;
    }
    const result = await this.deps.summarize({
      platform: rec.conversation.platform,
      workspaceId: rec.conversation.workspaceId,
      channelId: rec.conversation.channelId,
      userId: rec.userId,
      requestId: `handoff-${rec.id}`,
      lines,
      sink: await desk.summarySink(rec, team),
      subject: "the customer's conversation with the assistant",
    });
    if (result.outcome === "answered") await this.deps.store.setSummary(rec.id, result.text);
    else log.warn({ outcome: result.outcome, code: result.code }, "hand-off summary not made");
  }

  private background(work: Promise<unknown>): void {
    const p = work.catch((err: unknown) => this.deps.log.error({ err }, "hand-off background work failed"));
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }
}
