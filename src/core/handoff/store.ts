/**
 * Where hand-offs live: one record per hand-off, shared by every replica (Redis) or held by this
 * process (memory). Every state change is one atomic step, so two replicas (or a platform's
 * redelivery) never open, claim, close or relay the same thing twice.
 */
import type { PersonalRecords } from "../ports.js";
import type { WorkspaceRecords } from "../workspace-records.js";
import type { HandoffRecord, RelayedLine, TeamThreadRef } from "./record.js";

export type OpenResult =
  | { opened: true; record: HandoffRecord }
  | { opened: false; active: HandoffRecord | undefined };

/** Hand-offs are also indexed by their conversation's workspace (in the opening step), for uninstalls. */
export interface HandoffStore extends PersonalRecords, WorkspaceRecords {
  /**
   * Open `record` unless its conversation already has an active (open or claimed) hand-off.
   * Every key of the hand-off expires `ttlMs` after its last change.
   */
  open(record: HandoffRecord, ttlMs: number): Promise<OpenResult>;
  get(id: string): Promise<HandoffRecord | undefined>;
  /** The conversation's active hand-off (`threadKeyOf`), if any. */
  activeFor(threadKey: string): Promise<HandoffRecord | undefined>;
  /** The hand-off discussed in a team thread (`teamThreadKeyOf`), whatever its status. */
  forTeamThread(teamKey: string): Promise<HandoffRecord | undefined>;
  /** Remember where the team talks about it. */
  attachTeam(id: string, team: TeamThreadRef): Promise<HandoffRecord | undefined>;
  /** Keep the summary the team was shown. */
  setSummary(id: string, summary: string): Promise<void>;
  /** Keep the bot's latest note to the team (the local team page, which has no thread to post in). */
  setNote(id: string, note: string): Promise<void>;
  /**
   * open -> claimed (`by`), or open|claimed -> closed (`by`). Returns the changed record when this
   * call made the change, undefined when the record is missing or already there (so exactly one
   * caller across replicas acts on each change).
   */
  transition(
    id: string,
    to: "claimed" | "closed",
    by: string,
    at: number,
  ): Promise<HandoffRecord | undefined>;
  /** Append a relayed message to the hand-off's transcript. */
  appendLine(id: string, line: RelayedLine): Promise<void>;
  transcript(id: string): Promise<RelayedLine[]>;
  /** Active hand-offs, oldest first (the local team page). */
  listActive(limit: number): Promise<HandoffRecord[]>;
  /** Set-if-absent mark: true for the first caller of `key` within `ttlMs` (exactly-once relays). */
  once(key: string, ttlMs: number): Promise<boolean>;
}

/** Relayed messages kept per hand-off: a long chat with the team is still one bounded record. */
export const MAX_RELAYED_LINES = 200;
