/**
 * The embedded store: the same ports and semantics as the Redis store, held in this process.
 * Fine for one replica and for tests; data is lost on restart and not shared between replicas.
 */
import { StoreError } from "../../core/errors.js";
import type { Store } from "../../core/ports.js";
import type { Logger } from "../../log.js";
import { DEFAULT_KEY_PREFIX, storeKeys } from "../keys.js";
import { createMemoryBudgets } from "./budgets.js";
import { createMemoryGate } from "./gate.js";
import { MemoryKeyspace } from "./keyspace.js";
import { createMemoryKv } from "./kv.js";
import { createMemoryThreads } from "./threads.js";

export interface MemoryStoreOptions {
  log: Logger;
  /**
   * Share one keyspace between several stores of this process (tests and the benchmark use it
   * to play two replicas). A keyspace passed in is not closed with the store.
   */
  keyspace?: MemoryKeyspace;
  prefix?: string;
}

export interface MemoryStore extends Store {
  readonly kind: "memory";
  readonly keyspace: MemoryKeyspace;
}

export function createMemoryStore(opts: MemoryStoreOptions): MemoryStore {
  const keyspace = opts.keyspace ?? new MemoryKeyspace();
  const ownsKeyspace = opts.keyspace === undefined;
  const keys = storeKeys(opts.prefix ?? DEFAULT_KEY_PREFIX);
  let closed = false;
  const ensureOpen = () => {
    if (closed) throw new StoreError("memory store is closed");
  };

  return {
    kind: "memory",
    keyspace,
    gate: createMemoryGate(keyspace, keys, ensureOpen),
    threads: createMemoryThreads(keyspace, keys, opts.log, ensureOpen),
    kv: createMemoryKv(keyspace, keys, ensureOpen),
    budgets: createMemoryBudgets(keyspace, keys, ensureOpen),
    async ping() {
      ensureOpen();
    },
    async close() {
      closed = true;
      if (ownsKeyspace) keyspace.close();
    },
  };
}
