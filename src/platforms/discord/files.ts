/**
 * Attachments on a Discord message -> the core's `IncomingAttachment`s. Nothing is downloaded
 * here: each attachment's `read` fetches the file when (and if) the core decides to.
 *
 * Discord serves attachments from its CDN (`cdn.discordapp.com`, and `media.discordapp.net` for
 * the proxied copies) at signed URLs that need no credentials, so none are ever sent. Downloads
 * go only to those hosts over HTTPS (or to the configured DISCORD_API_URL's origin: the fake in
 * tests), redirects included.
 */
import type { IncomingAttachment } from "../../core/types.js";
import type { Logger } from "../../log.js";
import { download, hostPolicy } from "../download.js";

/** Discord's CDN hosts for message attachments. */
export const DISCORD_CDN_HOSTS = ["cdn.discordapp.com", "media.discordapp.net"] as const;

/** The fields of discord.js' `Attachment` we use. */
export interface DiscordAttachmentLike {
  id: string;
  name: string;
  contentType: string | null;
  size: number;
  url: string;
}

export function discordAttachments(
  attachments: Iterable<DiscordAttachmentLike>,
  apiUrl: string,
  log: Logger,
): IncomingAttachment[] | undefined {
  const list = [...attachments];
  if (list.length === 0) return undefined;
  const allowUrl = hostPolicy(DISCORD_CDN_HOSTS, new URL(apiUrl).origin);
  return list.map((a) => ({
    name: a.name,
    declaredType: a.contentType ?? undefined,
    declaredBytes: a.size,
    async read({ maxBytes, timeoutMs, signal }) {
      const got = await download(a.url, { maxBytes, timeoutMs, signal, allowUrl });
      log.debug({ attachment: a.id, bytes: got.bytes.byteLength }, "discord attachment downloaded");
      return got.bytes;
    },
  }));
}
