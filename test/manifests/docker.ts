/**
 * Just enough of Docker's rules to check our Dockerfile and .dockerignore without a Docker
 * engine: instructions grouped by stage, and which paths of the build context are sent.
 */

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  image: string;
  name: string | undefined;
  platform: string | undefined;
  instructions: Instruction[];
}

/** Instructions by stage (comments dropped, `\` continuation lines joined). */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (pending !== "" && line.startsWith("#")) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push((pending + line).trim());
    pending = "";
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const space = line.indexOf(" ");
    const keyword = (space < 0 ? line : line.slice(0, space)).toUpperCase();
    const args = space < 0 ? "" : line.slice(space + 1).trim();
    if (keyword === "FROM") {
      const m = /^(?:--platform=(\S+)\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!m) throw new Error(`unreadable FROM: ${args}`);
      stages.push({ platform: m[1], image: m[2] as string, name: m[3], instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`${keyword} before the first FROM`);
    stage.instructions.push({ keyword, args });
  }
  return stages;
}

export function instructions(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** ENV lines of a stage as a map (`ENV A=1 B=2` and the legacy `ENV A 1`). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const args of instructions(stage, "ENV")) {
    if (!args.includes("=")) {
      const [name, ...rest] = args.split(/\s+/);
      if (name) env[name] = rest.join(" ");
      continue;
    }
    for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S*)/g)) {
      env[m[1] as string] = m[3] ?? (m[2] as string);
    }
  }
  return env;
}

/** The exec-form (JSON array) arguments of CMD/HEALTHCHECK CMD/ENTRYPOINT. */
export function execForm(args: string): string[] {
  const start = args.indexOf("[");
  if (start < 0) throw new Error(`not in exec form: ${args}`);
  const parsed = JSON.parse(args.slice(start)) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string")) {
    throw new Error(`not a list of strings: ${args}`);
  }
  return parsed;
}

/** COPY sources and destination, without flags (`--from=build`, `--chown=...`). */
export function copyArgs(args: string): { from: string | undefined; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const from = words.find((w) => w.startsWith("--from="))?.slice("--from=".length);
  const paths = words.filter((w) => !w.startsWith("--"));
  return { from, sources: paths.slice(0, -1), dest: paths.at(-1) ?? "" };
}

interface IgnorePattern {
  regex: RegExp;
  exclusion: boolean;
}

function clean(path: string): string {
  return path.replace(/^\.?\//, "").replace(/\/+$/, "");
}

function globToRegex(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*" && glob[i + 1] === "*") {
      const slash = glob[i + 2] === "/";
      out += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

/**
 * Docker's .dockerignore rule: the last pattern that matches a path or one of its parent folders
 * decides, `!` patterns put paths back.
 */
export function dockerignore(text: string): (path: string) => boolean {
  const patterns: IgnorePattern[] = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const exclusion = line.startsWith("!");
      return { exclusion, regex: globToRegex(clean(exclusion ? line.slice(1) : line)) };
    });
  return (path: string) => {
    const parts = clean(path).split("/");
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
    let excluded = false;
    for (const pattern of patterns) {
      if (candidates.some((c) => pattern.regex.test(c))) excluded = !pattern.exclusion;
    }
    return excluded;
  };
}
