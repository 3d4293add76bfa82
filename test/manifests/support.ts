/**
 * Readers for the deployment files (Dockerfile, .dockerignore, compose, Kubernetes YAML) and the
 * facts they must agree with (.env.example, src/config.ts). There is no Docker engine or cluster
 * in the test environment, so the tests check these files against the service's own contracts.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}

export function readRepoFile(path: string): string {
  return readFileSync(repoPath(path), "utf8");
}

/** A YAML object as the tests walk it. */
export type Doc = Record<string, unknown>;

/** Every document of a YAML file; a syntax error or warning fails the test that reads it. */
export function readYaml(path: string): Doc[] {
  const docs = parseAllDocuments(readRepoFile(path));
  if (!Array.isArray(docs)) return [];
  for (const doc of docs) {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) throw new Error(`${path}: ${problems.map((p) => p.message).join("; ")}`);
  }
  return docs.map((doc) => doc.toJS() as Doc).filter((doc) => doc !== null);
}

/** Walk into nested objects and arrays: at(doc, "spec", "template", "spec", "containers", 0). */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

export function obj(value: unknown): Doc {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(`expected an object, got ${JSON.stringify(value)}`);
  }
  return value as Doc;
}

export function list(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new Error(`expected a list, got ${JSON.stringify(value)}`);
  return value;
}

/** Variable names documented in .env.example (`NAME=value` lines, or `# NAME=` for ones left unset on purpose). */
export function envExampleNames(): Set<string> {
  const names = readRepoFile(".env.example")
    .split("\n")
    .map((line) => /^(?:# )?([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
  return new Set(names);
}

/** Variable names the zod schema of src/config.ts reads (its `NAME: z...` / `NAME: int(...)` keys). */
export function configSchemaNames(): Set<string> {
  const source = readRepoFile("src/config.ts");
  const body = source.slice(source.indexOf("const schema = z.object({"), source.indexOf("\n});"));
  return new Set([...body.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1] as string));
}

/** Node's own variables a manifest may set besides the service's. */
export const NODE_RUNTIME_NAMES = new Set(["NODE_OPTIONS"]);

/** Which variables are secrets: keys, tokens, signing secrets, and REDIS_URL (it may carry a password). */
export function isSecretName(name: string): boolean {
  return /(_KEY|_TOKEN|_SECRET)$/.test(name) || name === "REDIS_URL";
}

/** Kubernetes memory quantity in MiB ("512Mi", "1Gi", "256M"). */
export function mebibytes(quantity: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(String(quantity));
  if (!m) throw new Error(`not a memory quantity: ${String(quantity)}`);
  const factor: Record<string, number> = {
    Ki: 1 / 1024,
    Mi: 1,
    Gi: 1024,
    K: 1000 / 1024 ** 2,
    M: 1000 ** 2 / 1024 ** 2,
    G: 1000 ** 3 / 1024 ** 2,
  };
  const unit = m[2];
  return Number(m[1]) * (unit ? (factor[unit] ?? Number.NaN) : 1 / 1024 ** 2);
}

/** Kubernetes CPU quantity in millicores ("100m", "1", "0.5"). */
export function millicores(quantity: unknown): number {
  const text = String(quantity);
  return text.endsWith("m") ? Number(text.slice(0, -1)) : Number(text) * 1000;
}

/** Seconds of a compose duration ("30s", "1m30s", "1500ms"). */
export function composeSeconds(duration: unknown): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  let total = 0;
  for (const m of String(duration).matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    total += Number(m[1]) * (units[m[2] as string] ?? Number.NaN);
  }
  return total;
}

/** Every file under `dir` (relative to the repository), skipping what git ignores for us. */
export function repoFiles(dir = "."): string[] {
  const out: string[] = [];
  const walk = (abs: string) => {
    for (const name of readdirSync(abs)) {
      if (name === "node_modules" || name === ".git") continue;
      const path = join(abs, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(REPO_ROOT, path));
    }
  };
  walk(repoPath(dir));
  return out;
}
