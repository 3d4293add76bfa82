/**
 * The on/off switch an admin sets for one channel with `/assistant on|off`. It overrides the
 * policy file for that channel, lives in the store (every replica sees it, it survives restarts)
 * and is cached per process for CACHE_MS, so routing a message costs a store round trip at most
 * once per channel per CACHE_MS. The replica where the switch is set sees it at once; the others
 * within CACHE_MS. With an index (store `workspaceThreads`, scope "switches|<workspaceKeyOf>"),
 * each switch set is noted for its workspace in the same tick as the write (one round trip), so an
 * uninstall deletes the workspace's switches without a scan (`forgetWorkspace`).
 */
import type { Logger } from "../../log.js";
import type { KeyValueStore, WorkspaceThreads } from "../ports.js";
import type { Platform } from "../types.js";
import { type WorkspaceRecords, workspaceKeyOf } from "../workspace-records.js";

export type ChannelSwitch = "on" | "off";

export interface ChannelPlace {
  platform: Platform;
  workspaceId: string;
  channelId: string;
}

/** Ten seconds: an admin's switch reaches every replica quickly enough, at one read per busy channel. */
export const CACHE_MS = 10_000;
/**
 * Store entries always expire; a year after it was last set the switch lapses back to the file
 * (setting it again renews it). A year outlives any reasonable "off for now".
 */
export const SWITCH_TTL_MS = 365 * 24 * 3_600_000;
/** Cached channels held at most; beyond it, stale entries are dropped first. */
const CACHE_MAX_ENTRIES = 10_000;
/** Stored for "back to the file" (the key-value port has no delete). */
const CLEARED = "file";

export function switchKey(place: ChannelPlace): string {
  return `policy:switch:${place.platform}:${place.workspaceId}:${place.channelId}`;
}

/** The index scope of one workspace's switches. */
function indexScope(workspaceKey: string): string {
  return `switches|${workspaceKey}`;
}

export class ChannelSwitches implements WorkspaceRecords {
  readonly kind = "channel switches";
  private readonly cache = new Map<string, { value: ChannelSwitch | null; at: number }>();

  constructor(
    private readonly kv: KeyValueStore,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    private readonly index?: WorkspaceThreads,
  ) {}

  /**
   * The channel's switch, or null when the file decides. `fresh` skips the cache (`/assistant`
   * shows what is stored). A store failure falls back to the cached value, else to the file.
   */
  async get(place: ChannelPlace, opts: { fresh?: boolean } = {}): Promise<ChannelSwitch | null> {
    const key = switchKey(place);
    const cached = this.cache.get(key);
    if (!opts.fresh && cached && this.now() - cached.at < CACHE_MS) return cached.value;
    try {
      const raw = await this.kv.get(key);
      const value = raw === "on" || raw === "off" ? raw : null;
      this.remember(key, value);
      return value;
    } catch (err) {
      this.log.warn(
        { err, channelId: place.channelId },
        "could not read the channel switch; using the last known",
      );
      return cached?.value ?? null;
    }
  }

  /** Set (or with null clear) the channel's switch; this process sees it at once. */
  async set(place: ChannelPlace, value: ChannelSwitch | null): Promise<void> {
    const key = switchKey(place);
    await Promise.all([
      this.kv.set(key, value ?? CLEARED, SWITCH_TTL_MS),
      this.index?.remember(indexScope(workspaceKeyOf(place)), key, SWITCH_TTL_MS),
    ]);
    this.remember(key, value);
  }

  /** The workspace left: delete every switch set in it (this process forgets them at once). */
  async forgetWorkspace(workspaceKey: string): Promise<number> {
    if (!this.index) return 0;
    const scope = indexScope(workspaceKey);
    const keys = await this.index.list(scope);
    const deleted = keys.length > 0 && this.kv.delete ? await this.kv.delete(keys) : 0;
    await this.index.drop(scope);
    for (const key of keys) this.cache.delete(key);
    return deleted;
  }

  private remember(key: string, value: ChannelSwitch | null): void {
    if (this.cache.size >= CACHE_MAX_ENTRIES) {
      const now = this.now();
      for (const [k, v] of this.cache) if (now - v.at >= CACHE_MS) this.cache.delete(k);
      if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear();
    }
    this.cache.delete(key);
    this.cache.set(key, { value, at: this.now() });
  }
}
