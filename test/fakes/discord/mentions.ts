/**
 * Who a message pings: Discord parses <@user>, <@&role>, @everyone and @here in the content and
 * lets through what `allowed_mentions` permits (absent means "parse everything", which is how
 * bots end up pinging @everyone).
 */

export interface AllowedMentions {
  parse?: string[];
  users?: string[];
  roles?: string[];
  replied_user?: boolean;
}

/** The mentions a message text produces under `allowed`, as Discord resolves them. */
export function resolveMentions(
  content: string,
  allowed: AllowedMentions | undefined,
  repliedAuthorId: string | null,
): { users: string[]; roles: string[]; everyone: boolean; pinged: string[] } {
  const users = [...content.matchAll(/<@!?(\d{17,20})>/g)].map((m) => m[1]!);
  const roles = [...content.matchAll(/<@&(\d{17,20})>/g)].map((m) => m[1]!);
  const everyoneText = /@(everyone|here)/.test(content);
  // Without allowed_mentions Discord parses everything, and pings the author of a reply.
  const parse = allowed ? (allowed.parse ?? []) : ["users", "roles", "everyone"];
  const userOk = (id: string) => parse.includes("users") || (allowed?.users ?? []).includes(id);
  const roleOk = (id: string) => parse.includes("roles") || (allowed?.roles ?? []).includes(id);
  const okUsers = unique(users.filter(userOk));
  const okRoles = unique(roles.filter(roleOk));
  const everyone = everyoneText && parse.includes("everyone");
  const pingReply = repliedAuthorId !== null && (allowed ? allowed.replied_user === true : true);
  const pinged = unique([...okUsers, ...(pingReply && repliedAuthorId ? [repliedAuthorId] : [])]);
  return { users: okUsers, roles: okRoles, everyone, pinged };
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
