/**
 * The embedded store: the same ports and semantics as the Redis store, held in this process.
 * Fine for one replica and for tests; data is lost on restart and not shared between replicas.
 */
import { StoreError } from "../../core/errors.js";
import type { Store } from "../../core/ports.js";
import type { Logger } from "../../log.js";
import { feedbackKeys } from "../feedback-keys.js";
import { historyCacheFor } from "../history.js";
import { DEFAULT_KEY_PREFIX, storeKeys } from "../keys.js";
import { createMemoryBudgets } from "./budgets.js";
import { createMemoryFeedback } from "./feedback.js";
import { createMemoryGate } from "./gate.js";
import { createMemoryHandoffs } from "./handoffs.js";
import { createMemoryInstallations, createMemoryWorkspaceThreads } from "./installations.js";
import { MemoryKeyspace } from "./keyspace.js";
import { createMemoryKv } from "./kv.js";
import { createMemoryThreads } from "./threads.js";
import { createMemoryVectors } from "./vectors.js";

export interface MemoryStoreOptions {
  log: Logger;
  /**
   * Share one keyspace between several stores of this process (tests and the benchmark use it
   * to play two replicas). A keyspace passed in is not closed with the store.
   */
  keyspace?: MemoryKeyspace;
  prefix?: string;
  /**
   * Keys held at most (MEMORY_STORE_MAX_KEYS): beyond it the least recently used conversation
   * history is evicted. Only for a keyspace this store creates. Default: no cap.
   */
  maxKeys?: number;
  /** Memory for parsed histories of recently read threads (HISTORY_CACHE_MB; store/history.ts). */
  historyCacheMb?: number;
}

/** Evictions are logged once, then summed up at most this often. */
const EVICTION_LOG_INTERVAL_MS = 60_000;

export interface MemoryStore extends Store {
  readonly kind: "memory";
  readonly keyspace: MemoryKeyspace;
}

export function createMemoryStore(opts: MemoryStoreOptions): MemoryStore {
  const keys = storeKeys(opts.prefix ?? DEFAULT_KEY_PREFIX);
  const feedback = feedbackKeys(opts.prefix ?? DEFAULT_KEY_PREFIX);
  const histories = historyCacheFor(opts.historyCacheMb);
  let evicted = 0;
  let lastEvictionLogAt = Number.NEGATIVE_INFINITY;
  const keyspace =
    opts.keyspace ??
    new MemoryKeyspace({
      ...(opts.maxKeys !== undefined ? { maxKeys: opts.maxKeys } : {}),
      // A forgotten old conversation is the price of the cap; see keyspace.ts for what never goes.
      // Cached embeddings too (one per distinct help-center question, kept for days): a refetch
      // is all one costs. And answers waiting to be rated (one per answer, kept as long as the
      // history): an evicted one can no longer be rated. Ratings themselves are kept.
      evictable: (key) => keys.isHistory(key) || keys.isVector(key) || feedback.isTurn(key),
      onEvict: () => {
        evicted += 1;
        const now = Date.now();
        if (now - lastEvictionLogAt < EVICTION_LOG_INTERVAL_MS) return;
        lastEvictionLogAt = now;
        opts.log.warn(
          { evicted, maxKeys: opts.maxKeys, keys: keyspace.size },
          "memory store full: evicting the least recently used conversation histories and cached embeddings " +
            "(raise MEMORY_STORE_MAX_KEYS or use Redis)",
        );
      },
    });
  const ownsKeyspace = opts.keyspace === undefined;
  let closed = false;
  const ensureOpen = () => {
    if (closed) throw new StoreError("memory store is closed");
  };

  return {
    kind: "memory",
    keyspace,
    gate: createMemoryGate(keyspace, keys, ensureOpen),
    threads: createMemoryThreads(keyspace, keys, opts.log, ensureOpen, histories),
    kv: createMemoryKv(keyspace, keys, ensureOpen),
    vectors: createMemoryVectors(keyspace, keys, ensureOpen),
    budgets: createMemoryBudgets(keyspace, keys, ensureOpen),
    feedback: createMemoryFeedback(keyspace, opts.prefix ?? DEFAULT_KEY_PREFIX, opts.log, ensureOpen),
    installations: createMemoryInstallations(keyspace, keys, ensureOpen),
    workspaceThreads: createMemoryWorkspaceThreads(keyspace, keys, ensureOpen, histories),
    handoffs: createMemoryHandoffs(keyspace, opts.prefix ?? DEFAULT_KEY_PREFIX, opts.log, ensureOpen),
    async ping() {
      ensureOpen();
    },
    async close() {
      closed = true;
      histories.clear();
      if (ownsKeyspace) keyspace.close();
    },
  };
}
