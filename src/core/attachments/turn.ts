/**
 * The attachments of one turn, as the conversation uses them: read them before the answer, add
 * them to the user's message for the model, describe the images while the answer streams, store
 * descriptions (never bytes) with the turn, and end the answer with one line per file that was
 * not read or only partly read.
 */
import type { Logger } from "../../log.js";
import type { Metrics } from "../../metrics.js";
import type { ChatModel, ModelUsage, TokenCounter } from "../ports.js";
import type { HistoryEntry, IncomingAttachment, Platform } from "../types.js";
import { describeImages, type ImageDescriptions } from "./describe.js";
import { fitAttachments, partsTokens } from "./fit.js";
import { formatCount } from "./format.js";
import type { FileReaders } from "./ports.js";
import { describeFile, type ReadFile, readAttachments, reasonText } from "./read.js";
import { type AttachmentSettings, DEFAULT_ATTACHMENT_SETTINGS } from "./settings.js";

export interface TurnAttachmentDeps {
  settings?: AttachmentSettings | undefined;
  readers?: FileReaders | undefined;
  counter: TokenCounter;
  model: ChatModel;
  log: Logger;
  metrics?: Metrics | undefined;
  platform: Platform;
  /** ATTACHMENT_TOKEN_BUDGET: what the message's files together may take (fit.ts). */
  fileTokens?: number | undefined;
}

const NONE: ImageDescriptions = { byIndex: new Map(), usage: { inputTokens: 0, outputTokens: 0 } };

/**
 * How long saving the turn waits for the image descriptions once the answer is done. They run
 * alongside the answer and are normally in long before; a slow one must not hold the thread.
 */
const DESCRIPTIONS_WAIT_MS = 10_000;

export class TurnAttachments {
  private descriptions: Promise<ImageDescriptions> = Promise.resolve(NONE);
  private describing: AbortController | undefined;
  private settled: ImageDescriptions | undefined;

  private constructor(
    readonly files: ReadFile[],
    private readonly settings: AttachmentSettings,
    private readonly deps: TurnAttachmentDeps,
  ) {}

  /** Read every attachment of the message (none: an empty set, no work). Never throws. */
  static async read(
    list: IncomingAttachment[] | undefined,
    deps: TurnAttachmentDeps,
    signal: AbortSignal,
  ): Promise<TurnAttachments> {
    const settings = deps.settings ?? DEFAULT_ATTACHMENT_SETTINGS;
    if (!list || list.length === 0) return new TurnAttachments([], settings, deps);
    const files = await readAttachments(list, {
      settings,
      readers: deps.readers,
      model: deps.model.model,
      counter: deps.counter,
      signal,
      log: deps.log,
    });
    if (deps.fileTokens !== undefined) fitAttachments(files, deps.fileTokens, deps.counter, settings);
    for (const f of files) {
      deps.metrics?.attachments.inc({
        platform: deps.platform,
        kind: f.kind ?? "unknown",
        outcome: f.unread?.reason ?? (f.cut ? "cut" : f.lowDetail ? "low_detail" : "read"),
      });
    }
    deps.log.info(
      {
        attachments: files.length,
        read: files.filter((f) => !f.unread).length,
        unread: files.filter((f) => f.unread).map((f) => f.unread?.reason),
      },
      "attachments read",
    );
    return new TurnAttachments(files, settings, deps);
  }

  /** Tokens the files take in a request: added to the context budget, which is for the conversation. */
  get tokens(): number {
    return this.files.reduce((sum, f) => sum + partsTokens(f.parts, this.deps.counter), 0);
  }

  /** The user's message as the model gets it: the text, then each file's header and content. */
  forModel(entry: HistoryEntry): HistoryEntry {
    if (entry.role !== "user" || this.files.length === 0) return entry;
    return { ...entry, parts: this.files.flatMap((f) => f.parts) };
  }

  /** Ask the model for one line per image, in the background of the answer. */
  startDescribing(signal: AbortSignal): void {
    if (!this.files.some((f) => f.parts.some((p) => p.type === "image"))) return;
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    this.describing = controller;
    this.descriptions = describeImages(this.deps.model, this.files, controller.signal, this.deps.log).finally(
      () => signal.removeEventListener("abort", onAbort),
    );
  }

  /** The descriptions, or none if they are not in within DESCRIPTIONS_WAIT_MS (then they are cancelled). */
  private async described(): Promise<ImageDescriptions> {
    if (this.settled) return this.settled;
    if (!this.describing) return NONE;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<ImageDescriptions>((resolve) => {
      timer = setTimeout(() => {
        this.deps.log.info("image descriptions took too long; the history keeps name, type and size");
        this.describing?.abort("late");
        resolve(NONE);
      }, DESCRIPTIONS_WAIT_MS);
    });
    this.settled = await Promise.race([this.descriptions, late]);
    clearTimeout(timer);
    return this.settled;
  }

  /** Add what the image descriptions cost (nothing when there were none), once they are done. */
  async addUsageTo(usage: ModelUsage): Promise<void> {
    const spent = (await this.described()).usage;
    usage.inputTokens += spent.inputTokens;
    usage.outputTokens += spent.outputTokens;
  }

  /**
   * The turn's entries as stored: the user's message without parts, its content followed by one
   * line per file (name, type, size; for images what the model saw). Waits for the descriptions.
   */
  async forHistory(entries: HistoryEntry[]): Promise<HistoryEntry[]> {
    const first = entries[0];
    if (first?.role !== "user" || this.files.length === 0) return entries;
    const { byIndex } = await this.described();
    const lines = this.files.map((f) => {
      const what = f.unread
        ? `not read, ${reasonText(f.unread, this.settings)}`
        : (byIndex.get(f.index) ?? (f.cut ? "read in part" : "read"));
      return `[${describeFile(f)}: ${what}]`;
    });
    const { parts: _parts, ...rest } = first;
    const content = [first.content, ...lines].filter((t) => t !== "").join("\n");
    return [{ ...rest, content }, ...entries.slice(1)];
  }

  /** The answer with one line per file not read or cut, after it (like the privacy note). */
  withNotes(text: string): string {
    const lines: string[] = [];
    for (const f of this.files) {
      if (f.unread) lines.push(`Couldn't read \`${f.name}\`: ${reasonText(f.unread, this.settings)}.`);
      else if (f.cut)
        lines.push(
          `Read only the first part of \`${f.name}\` (about ${formatCount(f.cut.keptTokens)} of ${formatCount(f.cut.totalTokens)} tokens).`,
        );
      else if (f.lowDetail)
        lines.push(
          `Looked at \`${f.name}\` at low resolution only, to stay within my limit for one message: small text in it may be unreadable.`,
        );
    }
    if (lines.length === 0) return text;
    const notes = lines.map((l) => `_${l}_`).join("\n");
    return text.trim() === "" ? notes : `${text.trimEnd()}\n\n${notes}`;
  }
}
