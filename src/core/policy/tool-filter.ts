/**
 * The tools a policy leaves on: the model is only offered those, and a call to any other (a model
 * that remembers one from an older turn) is answered "not available here" without running.
 */
import type { ToolRunner } from "../ports.js";

export function onlyTools(runner: ToolRunner, allowed: "all" | readonly string[]): ToolRunner {
  if (allowed === "all") return runner;
  const on = new Set(allowed);
  return {
    specs: () => runner.specs().filter((s) => on.has(s.name)),
    statusText: (name) => runner.statusText(name),
    holdsPersonalData: (name) => runner.holdsPersonalData?.(name) ?? false,
    async run(call, ctx) {
      if (!on.has(call.name)) {
        return {
          ok: false,
          content: JSON.stringify({ error: `The tool ${call.name} is not available here.` }),
        };
      }
      return runner.run(call, ctx);
    },
  };
}
