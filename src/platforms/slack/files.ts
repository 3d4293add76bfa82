/**
 * Files on a Slack message -> the core's `IncomingAttachment`s. Nothing is downloaded here: each
 * attachment's `read` fetches the file when (and if) the core decides to, from `url_private_download`
 * (or `url_private`) with the bot token of the event's workspace (scope `files:read`).
 *
 * Where the token may go: Slack serves files from files.slack.com and hops between its own hosts
 * (files-origin.slack.com on Enterprise Grid, slack-files.com, CDN hosts on slack-edge.com;
 * GovSlack on slack-gov.com). Redirects are followed only to those (and to the configured
 * SLACK_API_URL's origin, a local fake in tests); anything else, including the `url_private` of an
 * external file (Google Drive and the like), is refused before a request is made, so the token
 * never leaves Slack.
 *
 * Slack Connect: a file shared from another organization arrives as a stub (`file_access:
 * "check_file_info"`, an id and nothing else); its name, type and URLs come from `files.info`,
 * asked once when the bot answers the message.
 */
import { z } from "zod";
import { AttachmentError } from "../../core/errors.js";
import type { IncomingAttachment } from "../../core/types.js";
import type { Logger } from "../../log.js";
import { download, hostPolicy } from "../download.js";

/** Slack's own file hosts, each with its subdomains. */
export const SLACK_FILE_DOMAINS = [
  "slack.com",
  "slack-files.com",
  "slack-edge.com",
  "slack-gov.com",
] as const;

/**
 * A file object on a message event (the fields we use; Slack sends many more). Every field is
 * optional and an odd value is dropped rather than failing the parse: a file Slack describes
 * oddly must not make the whole message go unanswered (it is reported as unreadable instead).
 */
export const slackFileSchema = z
  .looseObject({
    id: z.string().optional().catch(undefined),
    name: z.string().nullish().catch(undefined),
    title: z.string().nullish().catch(undefined),
    mimetype: z.string().nullish().catch(undefined),
    size: z.number().nullish().catch(undefined),
    /** "hosted", "external", "snippet", "post"; "tombstone" (deleted), "hidden_by_limit" (plan limits). */
    mode: z.string().optional().catch(undefined),
    /** "check_file_info": a Slack Connect stub, details only from `files.info`. */
    file_access: z.string().optional().catch(undefined),
    is_external: z.boolean().optional().catch(undefined),
    url_private: z.string().optional().catch(undefined),
    url_private_download: z.string().optional().catch(undefined),
  })
  .catch({});
export type SlackFile = z.infer<typeof slackFileSchema>;

export interface SlackFileSource {
  /** The bot token of the workspace the message came from (one place to change for OAuth installs). */
  token(teamId: string): Promise<string>;
  /** `files.info` in that workspace: the file object, or null when Slack does not give it. */
  info(fileId: string, teamId: string): Promise<unknown>;
  /** SLACK_API_URL: its origin may serve files too (the fake in tests). */
  apiUrl: string;
  log: Logger;
}

export async function slackAttachments(
  files: SlackFile[] | undefined,
  teamId: string,
  source: SlackFileSource,
): Promise<IncomingAttachment[] | undefined> {
  if (!files || files.length === 0) return undefined;
  const allowUrl = hostPolicy(SLACK_FILE_DOMAINS, new URL(source.apiUrl).origin);
  const complete = await Promise.all(files.map((file) => withDetails(file, teamId, source)));
  return complete.map((file) => toAttachment(file, teamId, source, allowUrl));
}

/** A Slack Connect stub completed from `files.info`; any other file as it is. */
async function withDetails(file: SlackFile, teamId: string, source: SlackFileSource): Promise<SlackFile> {
  if (file.file_access !== "check_file_info" || !file.id) return file;
  try {
    const parsed = slackFileSchema.safeParse(await source.info(file.id, teamId));
    if (parsed.success) return parsed.data;
    source.log.warn({ file: file.id, team: teamId }, "files.info returned no usable file");
  } catch (err) {
    source.log.warn({ err, file: file.id, team: teamId }, "files.info failed for a shared file");
  }
  return file;
}

/** The names people see for files (a thread title for a question that is only a file). */
export function slackFileNames(files: SlackFile[] | undefined): string[] {
  return (files ?? []).map(nameOf);
}

function nameOf(file: SlackFile): string {
  return file.name || file.title || file.id || "file";
}

function toAttachment(
  file: SlackFile,
  teamId: string,
  source: SlackFileSource,
  allowUrl: (url: URL) => boolean,
): IncomingAttachment {
  const name = nameOf(file);
  const url = file.url_private_download ?? file.url_private;
  return {
    name,
    declaredType: file.mimetype ?? undefined,
    declaredBytes: file.size ?? undefined,
    async read({ maxBytes, timeoutMs, signal }) {
      if (!url || file.mode === "tombstone" || file.mode === "hidden_by_limit") {
        throw new AttachmentError(
          "download_failed",
          `Slack offers no download for this file (${file.mode ?? "no URL"})`,
        );
      }
      const token = await source.token(teamId);
      const got = await download(url, {
        maxBytes,
        timeoutMs,
        signal,
        allowUrl,
        headers: { authorization: `Bearer ${token}` },
        sendHeadersTo: allowUrl,
      });
      // Without the right token or scope Slack answers with its sign-in page, not an error status.
      if (isHtml(got.contentType) && !isHtml(file.mimetype ?? undefined)) {
        source.log.warn(
          { file: file.id, team: teamId },
          "Slack answered a file download with a web page: does the app have the files:read scope?",
        );
        throw new AttachmentError(
          "download_failed",
          "Slack answered with a sign-in page (files:read missing?)",
        );
      }
      source.log.debug({ file: file.id, bytes: got.bytes.byteLength }, "slack file downloaded");
      return got.bytes;
    },
  };
}

function isHtml(contentType: string | undefined): boolean {
  return (contentType ?? "").toLowerCase().startsWith("text/html");
}
