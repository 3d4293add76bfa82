/**
 * Reading POLICY_FILE: YAML -> the zod schema of core/policy/schema.ts. Every problem is named by
 * its path in the file ("platforms.slack.workspaces.T1.dms"), so the operator finds the line.
 */
import { readFile } from "node:fs/promises";
import { parse, YAMLParseError } from "yaml";
import { type PolicyFile, policyFileSchema } from "../core/policy/schema.js";

export class PolicyFileError extends Error {
  constructor(
    readonly path: string,
    /** One entry per problem: "path.in.file: what is wrong". */
    readonly problems: string[],
  ) {
    super(`POLICY_FILE ${path} is not valid: ${problems.join("; ")}`);
    this.name = "PolicyFileError";
  }
}

/** Parse the text of a policy file; throws PolicyFileError naming every problem. */
export function parsePolicy(text: string, path: string): PolicyFile {
  let raw: unknown;
  try {
    // Integers as bigint: an unquoted 19-digit Discord id keeps every digit (see schema.ts).
    raw = parse(text, { intAsBigInt: true, uniqueKeys: true });
  } catch (err) {
    const where =
      err instanceof YAMLParseError && err.linePos?.[0]
        ? `line ${err.linePos[0].line} column ${err.linePos[0].col}`
        : "YAML";
    const first = err instanceof Error ? (err.message.split("\n")[0] ?? err.message) : String(err);
    throw new PolicyFileError(path, [`${where}: ${first}`]);
  }
  // An empty file (or only comments) is a policy with nothing in it.
  const parsed = policyFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new PolicyFileError(
      path,
      parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "(top level)"}: ${i.message}`),
    );
  }
  return parsed.data;
}

export async function readPolicyFile(path: string): Promise<{ text: string; policy: PolicyFile }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new PolicyFileError(path, [`cannot read the file (${code})`]);
  }
  return { text, policy: parsePolicy(text, path) };
}
