/**
 * .env.example is where operators start: every variable the service reads (the zod schema in
 * src/config.ts) is there, set or commented out, under a comment that says what it is; and no
 * variable the service no longer reads is left in it.
 */
import { describe, expect, it } from "vitest";
import { schema } from "../../src/config.js";
import { readRepoFile } from "../manifests/support.js";

/** `NAME=value` or a commented-out `# NAME=value`. */
const VARIABLE_LINE = /^(?:#\s*)?([A-Z][A-Z0-9_]*)=/;

interface ExampleVariable {
  name: string;
  /** The comment lines right above it (over neighbouring variables it shares them with). */
  comment: string;
}

function exampleVariables(text: string): ExampleVariable[] {
  const lines = text.split("\n");
  const found: ExampleVariable[] = [];
  lines.forEach((line, i) => {
    const name = VARIABLE_LINE.exec(line)?.[1];
    if (name === undefined) return;
    let j = i - 1;
    while (j >= 0 && VARIABLE_LINE.test(lines[j] ?? "")) j--;
    const comment: string[] = [];
    for (; j >= 0 && (lines[j] ?? "").startsWith("#"); j--)
      comment.unshift((lines[j] ?? "").replace(/^#\s?/, ""));
    found.push({ name, comment: comment.join(" ").trim() });
  });
  return found;
}

describe(".env.example", () => {
  const example = exampleVariables(readRepoFile(".env.example"));
  const schemaNames = Object.keys(schema.shape);

  it("lists every variable of the config schema", () => {
    const listed = new Set(example.map((v) => v.name));
    expect(
      schemaNames.filter((name) => !listed.has(name)),
      "add these to .env.example",
    ).toEqual([]);
  });

  it("puts a comment above every variable", () => {
    expect(example.filter((v) => v.comment === "").map((v) => v.name)).toEqual([]);
  });

  it("lists no variable the service does not read", () => {
    const known = new Set(schemaNames);
    expect(example.map((v) => v.name).filter((name) => !known.has(name))).toEqual([]);
  });

  it("finds a variable only under a comment that belongs to it", () => {
    const parsed = exampleVariables(
      ["# The port.", "PORT=3000", "", "HOST=", "# Two that share one comment.", "A=1", "# B=2"].join("\n"),
    );
    expect(parsed).toEqual([
      { name: "PORT", comment: "The port." },
      { name: "HOST", comment: "" },
      { name: "A", comment: "Two that share one comment." },
      { name: "B", comment: "Two that share one comment." },
    ]);
  });
});
