/**
 * Key names of the hand-off records, shared by both stores. Every hand-off key carries the one
 * `{handoffs}` hash tag, so opening, claiming and closing (record + indexes) are single atomic
 * scripts on a Redis Cluster too. Hand-offs are human-paced (a few per minute at most), so one
 * slot holds them easily.
 */
export interface HandoffKeys {
  record(id: string): string;
  /** The conversation's active hand-off id. */
  conversation(threadKey: string): string;
  /** The hand-off id discussed in a team thread. */
  team(teamKey: string): string;
  /** Ids of one person's hand-offs (what /forget deletes). */
  user(userKey: string): string;
  /** Ids of one workspace's (`workspaceKeyOf`) hand-offs (what an uninstall deletes). */
  workspace(workspaceKey: string): string;
  /** Relayed lines of one hand-off (a list of JSON). */
  lines(id: string): string;
  /** Active hand-offs: a sorted set scored by opening time. */
  active: string;
  /** An exactly-once mark. */
  once(key: string): string;
}

export function handoffKeys(prefix: string): HandoffKeys {
  const tag = `${prefix}{handoffs}`;
  return {
    record: (id) => `${tag}:h:${id}`,
    conversation: (threadKey) => `${tag}:conv:${threadKey}`,
    team: (teamKey) => `${tag}:team:${teamKey}`,
    user: (userKey) => `${tag}:user:${userKey}`,
    workspace: (workspaceKey) => `${tag}:ws:${workspaceKey}`,
    lines: (id) => `${tag}:lines:${id}`,
    active: `${tag}:active`,
    once: (key) => `${tag}:once:${key}`,
  };
}
