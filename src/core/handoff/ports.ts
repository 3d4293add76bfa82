/**
 * What the hand-off service needs from the platforms: a way to post into a customer's
 * conversation outside a turn (each adapter), and the team desk where hand-offs are announced
 * and discussed (a Slack channel, a Discord channel, or the local team page).
 */
import type { MessageSink } from "../ports.js";
import type { ConversationRef, IncomingMessage, Platform } from "../types.js";
import type { HandoffRecord, TeamThreadRef } from "./record.js";

/** Posts into a customer's conversation on its own platform (outside a turn). */
export interface ConversationPoster {
  readonly platform: Platform;
  post(conversation: ConversationRef, text: string): Promise<void>;
  /** A link to the conversation the team can open, where the platform allows one. */
  link?(conversation: ConversationRef): Promise<string | undefined>;
}

export interface TeamDesk {
  readonly platform: TeamThreadRef["platform"];
  /** Post the one announcement of a hand-off (who, where, reason, link, Claim and Return buttons). */
  announce(record: HandoffRecord): Promise<TeamThreadRef>;
  /** Where the conversation summary streams (a reply in the team thread). */
  summarySink(record: HandoffRecord, team: TeamThreadRef): MessageSink | Promise<MessageSink>;
  /** A short line from the bot in the team thread (e.g. that there is nothing to summarize). */
  note(team: TeamThreadRef, text: string): Promise<void>;
  /** Copy a customer's message into the team thread. */
  relay(team: TeamThreadRef, author: string, text: string): Promise<void>;
  /** The status changed: show it on the announcement (claimed by, returned). */
  update(record: HandoffRecord): Promise<void>;
}

/** What the turn asks before answering (core/conversation.ts): is a person handling this conversation? */
export interface CustomerRelay {
  /**
   * The conversation's active hand-off, or null. The turn reads it alongside its admission step
   * (pipelined with it), so a conversation nobody handed off costs no extra wait on the store.
   */
  activeFor(msg: IncomingMessage): Promise<HandoffRecord | null>;
  /**
   * True when the message was passed on to the team and must not be answered. `known`: what
   * `activeFor` returned (null: no hand-off, nothing to read again); absent: look it up.
   */
  relayCustomer(msg: IncomingMessage, known?: HandoffRecord | null): Promise<boolean>;
}
