/**
 * Keeps the policy file current without a restart. `fs.watch` on the file's directory sees
 * editors that replace the file and Kubernetes ConfigMap updates (a symlink swap); a stat poll
 * every POLL_INTERVAL_MS catches what fs.watch misses (network filesystems, some containers).
 *
 * A file that fails to read or validate keeps the last good policy in force and is logged once
 * (path and the zod issue paths), and so does an empty one (a save caught half-way); at start-up there is no last good one, so `open` throws and the
 * service does not start.
 *
 * Events: `reloaded` (a new policy is in force), `rejected` (a PolicyFileError).
 */
import { EventEmitter } from "node:events";
import { type FSWatcher, watch } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { PolicySource } from "../core/policy/policies.js";
import type { PolicyFile } from "../core/policy/schema.js";
import type { Logger } from "../log.js";
import { PolicyFileError, readPolicyFile } from "./policy-file.js";

/** Two seconds: a poll is one stat of a small file, and an edit is in force soon after saving. */
export const POLL_INTERVAL_MS = 2_000;

/** Why an empty file is refused once a policy is in force. */
export const EMPTY_ON_RELOAD = "the file is empty (still being written?); to clear every setting, write `{}`";

export interface PolicyWatcherOptions {
  pollIntervalMs?: number;
}

export class PolicyWatcher extends EventEmitter implements PolicySource {
  private policy: PolicyFile;
  private text: string;
  private signature = "";
  private rejected: string | null = null;
  private watcher: FSWatcher | null = null;
  private poll: NodeJS.Timeout | null = null;
  private checking: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    first: { text: string; policy: PolicyFile; signature: string },
    private readonly log: Logger,
    private readonly options: PolicyWatcherOptions,
  ) {
    super();
    this.policy = first.policy;
    this.text = first.text;
    this.signature = first.signature;
  }

  /** Read and validate the file; throws PolicyFileError (start-up stops) when it is bad. */
  static async open(path: string, log: Logger, options: PolicyWatcherOptions = {}): Promise<PolicyWatcher> {
    const signature = await signatureOf(path);
    const first = await readPolicyFile(path);
    return new PolicyWatcher(path, { ...first, signature: signature ?? "" }, log, options);
  }

  current(): PolicyFile {
    return this.policy;
  }

  start(): void {
    try {
      // The directory, not the file: a replaced file (rename over it, symlink swap) is a new inode.
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, name) => {
        if (name === null || name === basename(this.path) || name.startsWith("..")) void this.check();
      });
      this.watcher.on("error", (err) => this.log.warn({ err, path: this.path }, "policy file watch failed"));
    } catch (err) {
      this.log.warn({ err, path: this.path }, "cannot watch the policy file; polling only");
    }
    this.poll = setInterval(() => void this.check(), this.options.pollIntervalMs ?? POLL_INTERVAL_MS);
    this.poll.unref();
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
  }

  /** Look at the file now (the watch and the poll call this); checks never overlap. */
  check(): Promise<void> {
    this.checking = this.checking.then(() => this.reload());
    return this.checking;
  }

  private async reload(): Promise<void> {
    const signature = await signatureOf(this.path);
    if (signature !== null && signature === this.signature) return;
    try {
      const next = await readPolicyFile(this.path);
      // Caught between truncate and write, a file being saved reads empty: a valid "no settings"
      // that would lift every deny and admin for a moment. A real reset is `{}` (docs/policy.md).
      if (next.text.trim() === "") throw new PolicyFileError(this.path, [EMPTY_ON_RELOAD]);
      this.signature = signature ?? "";
      this.rejected = null;
      if (next.text === this.text) return;
      this.policy = next.policy;
      this.text = next.text;
      this.log.info({ path: this.path }, "policy file reloaded");
      this.emit("reloaded", next.policy);
    } catch (err) {
      const error = err instanceof PolicyFileError ? err : new PolicyFileError(this.path, [String(err)]);
      const key = `${signature}:${error.problems.join(";")}`;
      if (this.rejected === key) return;
      this.rejected = key;
      this.log.error(
        { path: this.path, problems: error.problems },
        "policy file rejected; the last good policy stays in force",
      );
      this.emit("rejected", error);
    }
  }
}

/** What changes when the file is rewritten or replaced; null when it cannot be stat'ed. */
async function signatureOf(path: string): Promise<string | null> {
  try {
    const s = await stat(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return null;
  }
}
