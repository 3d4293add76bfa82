/**
 * Every relative link in the Markdown files (README.md, docs/, manifests/) points at a file that
 * exists, and a `#anchor` at a heading of that file (GitHub's heading ids). External links
 * (http:, https:, mailto:) are not fetched: no test talks to the internet.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, repoFiles } from "../manifests/support.js";

const SKIPPED_DIRS = /^(dist|coverage|\.tmp|bench\/results|test-results)\//;
const markdownFiles = repoFiles()
  .filter((f) => f.endsWith(".md") && !SKIPPED_DIRS.test(f))
  .sort();

/** The text outside fenced code blocks and inline code spans, where links are links. */
function prose(markdown: string): string {
  return markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "")
    .replace(/(`+)[^`\n]*?\1/g, (span) => (span.startsWith("`[") ? "" : span.replace(/[[\]()]/g, " ")));
}

/** Link targets: inline `[text](target "title")`, images, and reference definitions `[x]: target`. */
function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const targets: string[] = [];
  for (const m of text.matchAll(/!?\[(?:[^\]\n]|\][^(\n])*?\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
    targets.push(m[1] as string);
  for (const m of text.matchAll(/^\s{0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm))
    targets.push(m[1] as string);
  return targets;
}

/** GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingIds(markdown: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "")
    .matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = (m[1] as string).replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/<[^>]+>/g, "");
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

const read = (path: string) => readFileSync(join(REPO_ROOT, path), "utf8");

describe("Markdown links", () => {
  it("finds the documentation to check", () => {
    expect(markdownFiles).toContain("README.md");
    expect(markdownFiles.filter((f) => f.startsWith("docs/")).length).toBeGreaterThanOrEqual(7);
  });

  it.each(markdownFiles)("every relative link in %s resolves", (file) => {
    const broken: string[] = [];
    for (const target of linkTargets(read(file))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) continue; // external
      const [rawPath = "", anchor] = target.split("#", 2);
      const path = decodeURIComponent(rawPath);
      const resolved = path === "" ? file : relative(REPO_ROOT, join(REPO_ROOT, dirname(file), path));
      if (resolved.startsWith("..") || !existsSync(join(REPO_ROOT, resolved))) {
        broken.push(`${target}: no such file ${resolved}`);
        continue;
      }
      if (anchor && resolved.endsWith(".md") && !statSync(join(REPO_ROOT, resolved)).isDirectory()) {
        if (!headingIds(read(resolved)).has(anchor.toLowerCase()))
          broken.push(`${target}: no heading #${anchor}`);
      }
    }
    expect(broken, `broken links in ${file}`).toEqual([]);
  });

  it("reads links and heading ids as GitHub does", () => {
    const page = [
      "# Deploy: the image, compose",
      "## Slack (`npm run bench -- slack`)",
      "## Notes",
      "## Notes",
      'See [a](docs/a.md#x), ![img](images/b.png "title") and `[not](a link)`.',
      "```",
      "[also not](inside.md)",
      "```",
      "[ref]: ../c.md",
    ].join("\n");
    expect(linkTargets(page)).toEqual(["docs/a.md#x", "images/b.png", "../c.md"]);
    expect([...headingIds(page)]).toEqual([
      "deploy-the-image-compose",
      "slack-npm-run-bench----slack",
      "notes",
      "notes-1",
    ]);
  });
});
