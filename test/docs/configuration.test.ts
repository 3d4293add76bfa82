/**
 * docs/configuration.md is generated from the zod schema (scripts/config-docs.ts), so it cannot
 * drift: a variable added, removed or re-described without re-running the script fails here.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { renderConfigurationDoc, undescribed } from "../../scripts/config-docs.js";
import { schema } from "../../src/config.js";
import { readRepoFile } from "../manifests/support.js";

describe("docs/configuration.md", () => {
  it("gives every variable of the config schema a description for operators", () => {
    expect(undescribed(schema), "add .describe() to these variables in src/config.ts").toEqual([]);
  });

  it("is exactly what the generator writes from the schema (run `npm run docs:config` after a change)", () => {
    const expected = renderConfigurationDoc(schema);
    const actual = readRepoFile("docs/configuration.md");
    expect(actual === expected, "docs/configuration.md is stale: run `npm run docs:config`").toBe(true);
  });

  it("lists every variable once, with its default, allowed values and meaning", () => {
    const page = readRepoFile("docs/configuration.md");
    for (const name of Object.keys(schema.shape)) {
      const rows = page.split("\n").filter((line) => line.startsWith(`| \`${name}\` |`));
      expect(rows, name).toHaveLength(1);
    }
    expect(page).toContain("| `PORT` | `3000` | integer, 0–65535 |");
    expect(page).toContain("| `SLACK_NATIVE_STREAMING` | `true` | boolean");
    expect(page).toContain("| `DISCORD_REPLY_MODE` | `thread` | `thread`, `inline` |");
  });

  it("names exactly the variables that have no description, wherever .describe() sits", () => {
    const partly = z.object({
      A_SET: z.string().describe("first").default("x"),
      B_SET: z.string().default("x").describe("last"),
      C_MISSING: z.coerce.number().int().optional(),
    });
    expect(undescribed(partly)).toEqual(["C_MISSING"]);
  });

  it("puts variables with a prefix it does not know under Other, and flags a missing description", () => {
    const page = renderConfigurationDoc(
      z.object({
        PORT: z.coerce.number().int().default(1).describe("the port"),
        FROBNICATE_LEVEL: z.enum(["low", "high"]).default("low").describe("how much | to frobnicate"),
        FROBNICATE_NOTE: z.string().optional(),
        FROBNICATE_TIMES: z.coerce.number().int().describe("described before its default").default(2),
      }),
    );
    const other = page.slice(page.indexOf("## Other"));
    expect(page.indexOf("## Service")).toBeLessThan(page.indexOf("## Other"));
    expect(other).toContain("| `FROBNICATE_LEVEL` | `low` | `low`, `high` | how much \\| to frobnicate |");
    expect(other).toContain("| `FROBNICATE_NOTE` | unset | text | (no description");
    expect(other).toContain("| `FROBNICATE_TIMES` | `2` | integer | described before its default |");
    expect(page).not.toContain("## Slack");
  });
});
