import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/policy/policy-file.js";
import { unknownTools } from "../../src/policy/unknown-tools.js";

describe("tool names in the policy file", () => {
  it("reports a misspelt tool with where it is, and accepts real ones", () => {
    const file = parsePolicy(
      `
defaults:
  tools: [get_weather]
platforms:
  slack:
    workspaces:
      T1:
        channels:
          C1: { tools: [get_wether, search_help_center] }
        users:
          U1: { tools: [] }
`,
      "p.yaml",
    );
    const known = new Set(["get_weather", "search_help_center", "get_order_status", "search_products"]);
    expect(unknownTools(file, known)).toEqual([
      "platforms.slack.workspaces.T1.channels.C1.tools: get_wether",
    ]);
  });
});
