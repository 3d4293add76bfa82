/**
 * The policy pieces main.ts wires: the file (watched when POLICY_FILE is set), the resolver over
 * it, the admins' channel switches in the store, and the routing rules adapters ask.
 */
import type { Env } from "../config.js";
import { ChannelSwitches } from "../core/policy/channel-switches.js";
import { Policies, type PolicySource } from "../core/policy/policies.js";
import { ReplyRules } from "../core/policy/replies.js";
import type { Store } from "../core/ports.js";
import type { Logger } from "../log.js";
import { PolicyWatcher, type PolicyWatcherOptions } from "./watcher.js";

export interface PolicySetup {
  policies: Policies;
  replies: ReplyRules;
  /** Present when POLICY_FILE is set. */
  watcher: PolicyWatcher | null;
  stop(): void;
}

const NO_FILE: PolicySource = { current: () => null };

/**
 * Read POLICY_FILE before anything else starts: a bad file throws PolicyFileError (naming
 * POLICY_FILE and each problem) and the service does not start. Null when it is not set.
 */
export async function openPolicyFile(
  env: Pick<Env, "POLICY_FILE">,
  log: Logger,
  options: PolicyWatcherOptions = {},
): Promise<PolicyWatcher | null> {
  return env.POLICY_FILE ? PolicyWatcher.open(env.POLICY_FILE, log, options) : null;
}

/** Wire the policy over the opened file (or none) and start watching it. */
export function setUpPolicy(
  watcher: PolicyWatcher | null,
  env: Pick<
    Env,
    | "THROTTLE_REQUESTS"
    | "THROTTLE_WINDOW_S"
    | "DAILY_TOKEN_BUDGET"
    | "HISTORY_TTL_S"
    | "SLACK_THREAD_FOLLOWUPS"
  >,
  store: Pick<Store, "kv"> & Partial<Pick<Store, "workspaceThreads">>,
  log: Logger,
): PolicySetup {
  const policies = new Policies(watcher ?? NO_FILE, {
    throttle: {
      requests: env.THROTTLE_REQUESTS,
      windowMs: env.THROTTLE_WINDOW_S * 1000,
      dailyTokens: env.DAILY_TOKEN_BUDGET,
    },
    historyTtlMs: env.HISTORY_TTL_S * 1000,
    followups: { slack: env.SLACK_THREAD_FOLLOWUPS, discord: "any", web: "any" },
  });
  const replies = new ReplyRules(
    policies,
    new ChannelSwitches(store.kv, log, Date.now, store.workspaceThreads),
  );
  watcher?.start();
  if (watcher) log.info({ path: watcher.path }, "policy file loaded");
  return { policies, replies, watcher, stop: () => watcher?.stop() };
}
