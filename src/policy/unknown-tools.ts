/**
 * A tool name in the policy file that no tool has is almost always a typo that silently turns a
 * tool off: it is logged (with where it is) when the file is loaded and at every reload. The file
 * is still used: the other settings in it are fine, and a tool may be missing on purpose in one
 * deployment (say, no orders backend).
 */
import type { PolicyFile, PolicySettings } from "../core/policy/schema.js";
import type { Logger } from "../log.js";
import type { PolicyWatcher } from "./watcher.js";

/** Every `tools` entry naming a tool not in `known`, as "path.tools: name". */
export function unknownTools(file: PolicyFile, known: ReadonlySet<string>): string[] {
  const found: string[] = [];
  const check = (at: string, settings: PolicySettings | undefined) => {
    const tools = settings?.tools;
    if (!Array.isArray(tools)) return;
    for (const name of tools) if (!known.has(name)) found.push(`${at}.tools: ${name}`);
  };
  check("defaults", file.defaults);
  for (const [platformName, platform] of Object.entries(file.platforms ?? {})) {
    const p = `platforms.${platformName}`;
    check(p, platform);
    for (const [id, user] of Object.entries(platform?.users ?? {})) check(`${p}.users.${id}`, user);
    for (const [wid, workspace] of Object.entries(platform?.workspaces ?? {})) {
      const w = `${p}.workspaces.${wid}`;
      check(w, workspace);
      for (const [id, channel] of Object.entries(workspace.channels ?? {}))
        check(`${w}.channels.${id}`, channel);
      for (const [id, user] of Object.entries(workspace.users ?? {})) check(`${w}.users.${id}`, user);
    }
  }
  return found;
}

/** Log unknown tool names now and after every reload. */
export function warnAboutUnknownTools(watcher: PolicyWatcher, toolNames: string[], log: Logger): void {
  const known = new Set(toolNames);
  const warn = (file: PolicyFile) => {
    const unknown = unknownTools(file, known);
    if (unknown.length > 0) {
      log.warn(
        { path: watcher.path, unknown, tools: toolNames },
        "the policy file names tools that do not exist; they stay off",
      );
    }
  };
  warn(watcher.current());
  watcher.on("reloaded", warn);
}
