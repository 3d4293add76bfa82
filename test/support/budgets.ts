/** Edit budgets over a fresh memory store: the in-process path, as a one-replica deployment has it. */
import { EditBudgets, type RateBudget } from "../../src/core/edit-budget.js";
import { silentLogger } from "../../src/log.js";
import { createMemoryStore } from "../../src/store/memory/store.js";

export function localBudgets(): EditBudgets {
  return new EditBudgets(createMemoryStore({ log: silentLogger() }).budgets);
}

export function localBudget(limit: number, windowMs: number, scope = "test"): RateBudget {
  return localBudgets().get({ scope, name: "edits", limit, windowMs });
}
