/**
 * Forgetting a person (`/forget`, the web chat's button, an admin's `/forget user <id>`): every
 * part of the service that keeps records about people (`PersonalRecords`: conversation
 * histories, feedback, hand-offs) deletes what it holds under the person's user key, through its
 * own per-user index (never a scan). The parts run in parallel; one that fails does not stop the
 * others, and the person is told which kinds could not be deleted, so they can ask again.
 */
import type { Logger } from "../log.js";
import type { PersonalRecords, ThreadPeople, ThreadStore } from "./ports.js";
import type { Audience, StoredTurn } from "./types.js";

export interface ForgetResult {
  /** How many records of each kind were deleted, in registration order. */
  deleted: { kind: string; count: number }[];
  /** Kinds that could not be deleted this time (a store error). */
  failed: string[];
}

/** Who asked: the person themselves, or an admin acting on a request that came by email. */
export interface ForgetRequester {
  /** The requester's user key (`userKeyOf`): logged, ids only. */
  by: string;
  as: "self" | "admin";
}

export class PersonalData {
  private readonly parts: PersonalRecords[] = [];

  constructor(
    parts: PersonalRecords[],
    private readonly log: Logger,
  ) {
    for (const part of parts) this.register(part);
  }

  /** Add a part (feedback, hand-offs): main.ts registers each store part that keeps people's records. */
  register(part: PersonalRecords): void {
    this.parts.push(part);
  }

  /** What is deleted, for the confirmation prompt ("conversations, ratings"). */
  get kinds(): string[] {
    return this.parts.map((p) => p.kind);
  }

  async forget(userKey: string, requester: ForgetRequester): Promise<ForgetResult> {
    const settled = await Promise.allSettled(this.parts.map((p) => p.forgetUser(userKey)));
    const result: ForgetResult = { deleted: [], failed: [] };
    settled.forEach((s, i) => {
      const kind = this.parts[i]!.kind;
      if (s.status === "fulfilled") result.deleted.push({ kind, count: s.value });
      else {
        result.failed.push(kind);
        this.log.error({ err: s.reason, kind, userKey }, "could not forget a person's records");
      }
    });
    const counts = Object.fromEntries(result.deleted.map((d) => [d.kind, d.count]));
    // Ids only: who asked, whose data, how much. Never what was deleted.
    this.log.info(
      { userKey, by: requester.by, as: requester.as, deleted: counts, failed: result.failed },
      "forgot a person's records",
    );
    return result;
  }
}

/** Conversation histories as a `PersonalRecords` part ("conversations": threads that lost something). */
export function conversationRecords(threads: ThreadStore): PersonalRecords {
  return { kind: "conversations", forgetUser: (userKey) => threads.forgetUser(userKey) };
}

/**
 * Whom a thread's history holds turns of once the asker's turn is added: the asker, plus in a
 * shared thread every earlier author still in it (their index entry must live as long as the
 * history their turns are in, which this commit extends).
 */
export function threadPeople(
  history: StoredTurn[],
  userKey: string,
  audience: Audience,
  workspace?: string,
): ThreadPeople {
  if (audience === "private") return { userKeys: [userKey], audience, workspace };
  const earlier = history.flatMap((t) => (t.author ? [t.author] : []));
  return { userKeys: [...new Set([...earlier, userKey])], audience, workspace };
}

/** The confirmation the person reads: what was deleted, and what could not be. */
export function forgetReport(result: ForgetResult, whose: "your" | "their" = "your"): string {
  // Kinds with nothing deleted are left out: "Deleted your data: 0 conversations" reads as a fault.
  const parts = result.deleted
    .filter((d) => d.count > 0)
    .map((d) => `${d.count} ${d.count === 1 ? singular(d.kind) : d.kind}`);
  const lines = [
    parts.length > 0
      ? `Deleted ${whose} data: ${parts.join(", ")}.`
      : `There was nothing of ${whose} data to delete.`,
  ];
  if (result.failed.length > 0) {
    lines.push(
      `Could not delete ${whose} ${result.failed.join(", ")} just now; please try again in a minute.`,
    );
  }
  return lines.join("\n");
}

/** "conversations" -> "conversation" for a count of one. */
function singular(kind: string): string {
  return kind.endsWith("s") ? kind.slice(0, -1) : kind;
}

/** The question asked before deleting (on platforms with buttons). */
export function forgetPrompt(kinds: string[], platformName: string, subject?: string): string {
  const what = kinds.length > 0 ? kinds.join(", ") : "conversations";
  if (subject) {
    return `Delete everything the assistant keeps about ${subject} on ${platformName} (${what})? This cannot be undone.`;
  }
  return (
    `Delete everything the assistant keeps about you on ${platformName} (${what})? ` +
    "Private conversations are deleted whole; in shared threads only your own messages go. This cannot be undone."
  );
}
