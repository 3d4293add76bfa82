/**
 * Watches the knowledge folder and calls `onChange` once things have been quiet for `debounceMs`
 * (an editor saving a file, or `git pull` touching fifty, is one re-index). fs.watch is recursive
 * on Linux since Node 20, on macOS and on Windows.
 */
import { type FSWatcher, watch } from "node:fs";
import type { Logger } from "../../log.js";

export function watchFolder(
  dir: string,
  opts: { debounceMs: number; log: Logger; onChange: () => void },
): () => void {
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher;
  try {
    watcher = watch(dir, { recursive: true, persistent: false }, () => {
      clearTimeout(timer);
      timer = setTimeout(opts.onChange, opts.debounceMs);
    });
  } catch (err) {
    opts.log.warn({ err, dir }, "cannot watch the knowledge folder: changes need a restart");
    return () => {};
  }
  watcher.on("error", (err) => opts.log.warn({ err, dir }, "knowledge folder watch failed"));
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
