/**
 * What every platform adapter (Slack, Discord, web chat) offers the composition root.
 */
import type { Env } from "../config.js";
import type { Conversation } from "../core/conversation.js";
import type { Feedback } from "../core/feedback/feedback.js";
import type { HandoffService } from "../core/handoff/service.js";
import type { ReplyRules } from "../core/policy/replies.js";
import type { HandoffRequests, Store } from "../core/ports.js";
import type { Platform } from "../core/types.js";
import type { HttpServer } from "../http/server.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";

export interface PlatformAdapter {
  readonly platform: Platform;
  /** Connect (gateway, Socket Mode) or register HTTP routes. Rejects with a clear message on bad credentials. */
  start(): Promise<void>;
  /** Stop taking new events; running answers are finished by the conversation's drain. */
  stop(): Promise<void>;
  /** For /readyz: connected and able to take events. */
  isReady(): boolean;
  /** Resolves when every event this adapter accepted has been fully handled (shutdown waits for it). */
  idle?(): Promise<void>;
}

export interface AdapterDeps {
  env: Env;
  conversation: Conversation;
  http: HttpServer;
  store: Store;
  log: Logger;
  metrics: Metrics;
  /** Hand-offs to the support team (Talk to a person, /handoff); absent in tests that do not need them. */
  handoffs?: HandoffRequests;
  /** Ratings of answers (thumbs up / down); answers carry no feedback buttons when absent. */
  feedback?: Feedback;
  /** The same service seen from the platforms: where to post, the team desk, team replies. */
  handoffService?: HandoffService;
  /** Who may run admin commands (channel on/off, deleting a person's data by id); nobody when absent. */
  admins?: AdminCheck;
  /** Whether the bot answers a message here (POLICY_FILE, admin switches); everywhere when absent. */
  replies?: ReplyRules;
}

/**
 * Admins are listed per platform (and optionally per workspace or guild) in the policy file.
 * Without `workspaceId` the question is "an admin in every workspace of the platform" (the
 * platform-level list only): asked where the act reaches past one workspace, such as deleting a
 * Discord user's data (their data spans every guild and DM).
 */
export interface AdminCheck {
  isAdmin(who: { platform: Platform; workspaceId?: string | undefined; userId: string }): boolean;
}
