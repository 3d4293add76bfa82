/**
 * POLICY_FILE is reloaded on change without a restart; a bad file keeps the last good policy and
 * says why; a bad file at start-up stops start-up naming POLICY_FILE.
 */
import { once } from "node:events";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { startService } from "../../src/main.js";
import { PolicyFileError } from "../../src/policy/policy-file.js";
import { PolicyWatcher } from "../../src/policy/watcher.js";
import { captureLog } from "../store/log-capture.js";

let dir: string;
let watcher: PolicyWatcher | undefined;
afterEach(() => {
  watcher?.stop();
  watcher = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function policyPath(text: string): string {
  dir = mkdtempSync(join(tmpdir(), "chatbot-policy-"));
  const path = join(dir, "policy.yaml");
  writeFileSync(path, text);
  return path;
}

const modelOf = (w: PolicyWatcher) => w.current().platforms?.slack?.workspaces?.T1?.model;
const fileWith = (model: string) =>
  `platforms:\n  slack:\n    workspaces:\n      T1:\n        model: ${model}\n`;

describe("the policy file", () => {
  it("is reloaded when it is rewritten, and when it is replaced (editors, ConfigMaps)", async () => {
    const path = policyPath(fileWith("gpt-4o-mini"));
    watcher = await PolicyWatcher.open(path, silentLogger());
    watcher.start();
    expect(modelOf(watcher)).toBe("gpt-4o-mini");

    const first = once(watcher, "reloaded");
    writeFileSync(path, fileWith("gpt-4o"));
    await first;
    expect(modelOf(watcher)).toBe("gpt-4o");

    const second = once(watcher, "reloaded");
    writeFileSync(join(dir, "next.yaml"), fileWith("gpt-4.1"));
    renameSync(join(dir, "next.yaml"), path);
    await second;
    expect(modelOf(watcher)).toBe("gpt-4.1");
  });

  it("is reloaded by the stat poll where file events do not arrive", async () => {
    const path = policyPath(fileWith("gpt-4o-mini"));
    // Not started: no fs.watch, so only an explicit check (what the poll timer runs) sees the change.
    watcher = await PolicyWatcher.open(path, silentLogger());
    writeFileSync(path, fileWith("gpt-4o"));
    const reloaded = once(watcher, "reloaded");
    await watcher.check();
    await reloaded;
    expect(modelOf(watcher)).toBe("gpt-4o");
  });

  it("keeps the last good policy when the new file is bad, and logs the path and the problems", async () => {
    const path = policyPath(fileWith("gpt-4o-mini"));
    const { log, lines } = captureLog();
    watcher = await PolicyWatcher.open(path, log);
    watcher.start();
    const rejected = once(watcher, "rejected");
    writeFileSync(path, "platforms:\n  slack:\n    dms: sometimes\n");
    const [error] = (await rejected) as [PolicyFileError];
    expect(error.problems).toEqual([expect.stringMatching(/^platforms\.slack\.dms: /)]);
    expect(modelOf(watcher)).toBe("gpt-4o-mini");
    const logged = lines.find((l) => l.msg?.includes("policy file rejected"));
    expect(logged).toMatchObject({ path, problems: [expect.stringMatching(/^platforms\.slack\.dms/)] });

    // Fixed again: in force at once.
    const reloaded = once(watcher, "reloaded");
    writeFileSync(path, fileWith("gpt-4o"));
    await reloaded;
    expect(modelOf(watcher)).toBe("gpt-4o");
  });

  it("keeps its denies while a save leaves the file empty for a moment, and takes `{}` as a reset", async () => {
    const path = policyPath("platforms:\n  slack:\n    denyWorkspaces: [T1]\n");
    watcher = await PolicyWatcher.open(path, silentLogger());
    writeFileSync(path, "");
    await watcher.check();
    expect(watcher.current().platforms?.slack?.denyWorkspaces).toEqual(["T1"]);

    const reloaded = once(watcher, "reloaded");
    writeFileSync(path, "{}\n");
    await watcher.check();
    await reloaded;
    expect(watcher.current()).toEqual({});
  });

  it("stops start-up when it is bad, naming POLICY_FILE and the problem", async () => {
    const path = policyPath("defaults:\n  tools: everything\n");
    await expect(PolicyWatcher.open(path, silentLogger())).rejects.toThrow(PolicyFileError);
    const config = loadConfig({ POLICY_FILE: path, WEB_CHAT: "on", PORT: "0" });
    await expect(startService(config, silentLogger())).rejects.toThrow(
      new RegExp(`POLICY_FILE ${path} is not valid: defaults\\.tools`),
    );
  });

  it("stops start-up when it is missing", async () => {
    dir = mkdtempSync(join(tmpdir(), "chatbot-policy-"));
    const config = loadConfig({ POLICY_FILE: join(dir, "nope.yaml"), WEB_CHAT: "on", PORT: "0" });
    await expect(startService(config, silentLogger())).rejects.toThrow(/POLICY_FILE .*nope\.yaml.*ENOENT/);
  });
});
