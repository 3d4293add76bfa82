/**
 * Whether a person is a member of a Slack conversation, for `/summarize <thread link>`: the bot
 * reads with its own access, so it only summarizes a linked conversation for its members. Public
 * channels count too: being able to open a channel is not being in it.
 *
 * conversations.members is Tier 4 and lists ids only; pages of 999 (Slack's maximum) keep a big
 * channel to a few calls.
 */
import type { SlackApi } from "./api.js";

/** Slack's largest page for conversations.members. */
const PAGE_SIZE = 999;
/**
 * Pages read at most (about 20,000 members). A bigger channel whose member list does not show
 * the person by then is treated as "not a member": refusing is the safe side.
 */
const MAX_PAGES = 20;

interface MembersPage {
  members?: string[];
  response_metadata?: { next_cursor?: string };
}

/** Throws the PlatformError of a failed call (missing scope, channel not found, rate limit). */
export async function isConversationMember(
  api: SlackApi,
  channel: string,
  userId: string,
  opts: { maxWaitMs: number },
): Promise<boolean> {
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await api.callPatiently<MembersPage>(
      "conversations.members",
      { channel, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) },
      { maxWaitMs: opts.maxWaitMs },
    );
    if (res.members?.includes(userId)) return true;
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) return false;
  }
  return false;
}
