/** A POLICY_FILE in a temp dir, wired as main.ts wires it, that a test can rewrite and wait for. */
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config.js";
import type { Store } from "../../src/core/ports.js";
import { silentLogger } from "../../src/log.js";
import { openPolicyFile, type PolicySetup, setUpPolicy } from "../../src/policy/setup.js";

export interface TestPolicy {
  setup: PolicySetup;
  path: string;
  /** Rewrite the file and wait until the new policy is in force. */
  rewrite(yaml: string): Promise<void>;
  close(): void;
}

export async function testPolicy(
  yaml: string,
  store: Pick<Store, "kv">,
  env: Record<string, string> = {},
): Promise<TestPolicy> {
  const dir = mkdtempSync(join(tmpdir(), "chatbot-policy-"));
  const path = join(dir, "policy.yaml");
  writeFileSync(path, yaml);
  const config = loadConfig({ POLICY_FILE: path, WEB_CHAT: "on", ...env });
  const watcher = await openPolicyFile(config.env, silentLogger());
  const setup = setUpPolicy(watcher, config.env, store, silentLogger());
  return {
    setup,
    path,
    async rewrite(text) {
      if (!watcher) throw new Error("no watcher");
      const reloaded = once(watcher, "reloaded");
      writeFileSync(path, text);
      await reloaded;
    },
    close() {
      setup.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
