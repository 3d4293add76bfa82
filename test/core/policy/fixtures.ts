/** Policies over a policy file given as YAML text, as the service builds them (src/policy/setup.ts). */
import { Policies } from "../../../src/core/policy/policies.js";
import type { PolicyBase } from "../../../src/core/policy/resolve.js";
import type { PolicyFile } from "../../../src/core/policy/schema.js";
import { parsePolicy } from "../../../src/policy/policy-file.js";

export const testBase: PolicyBase = {
  throttle: { requests: 100, windowMs: 60_000, dailyTokens: 1_000_000 },
  historyTtlMs: 7 * 24 * 3_600_000,
  followups: { slack: "any", discord: "any", web: "any" },
};

/** A policy source whose file the test can swap. */
export class StaticPolicy {
  constructor(public file: PolicyFile | null) {}
  current(): PolicyFile | null {
    return this.file;
  }
}

export function policiesFrom(yaml: string | null, base: PolicyBase = testBase): Policies {
  return new Policies(new StaticPolicy(yaml === null ? null : parsePolicy(yaml, "test.yaml")), base);
}
