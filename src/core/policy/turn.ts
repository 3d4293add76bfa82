/**
 * What a policy changes in one turn: the model, the tools, the per-user limits, how long the
 * history is kept, and words added to the system prompt. Without a policy (no file) the turn's
 * own settings stand unchanged.
 */
import type { ChatModel, ThrottlePolicy, ToolRunner } from "../ports.js";
import type { EffectivePolicy } from "./resolve.js";
import { onlyTools } from "./tool-filter.js";

export interface TurnDefaults {
  model: ChatModel;
  /** The model for a name the policy gives (built once per name, see main.ts). */
  models?: ((name: string) => ChatModel) | undefined;
  tools: ToolRunner;
  throttle: ThrottlePolicy;
  historyTtlMs: number;
}

export interface TurnChoices {
  model: ChatModel;
  tools: ToolRunner;
  throttle: ThrottlePolicy;
  historyTtlMs: number;
  extraSystemPrompt: string | undefined;
}

export function turnChoices(policy: EffectivePolicy | null, defaults: TurnDefaults): TurnChoices {
  if (!policy) return { ...defaults, extraSystemPrompt: undefined };
  const named = policy.model && policy.model !== defaults.model.model ? policy.model : undefined;
  return {
    model: named && defaults.models ? defaults.models(named) : defaults.model,
    tools: onlyTools(defaults.tools, policy.tools),
    throttle: policy.throttle,
    historyTtlMs: policy.historyTtlMs,
    extraSystemPrompt: policy.extraSystemPrompt,
  };
}

/** The system prompt with the place's extra instructions after it. */
export function withExtraPrompt(system: string, extra: string | undefined): string {
  return extra ? `${system}\n\n${extra}` : system;
}
