/**
 * handoff_to_human: the model hands the conversation to the support team (docs/handoff.md). The
 * hand-off service tells the customer what happens (a person will take over, or how to reach
 * support when no team channel is set); the model only closes its answer.
 */
import { z } from "zod";
import type { HandoffRequests } from "../../core/ports.js";
import { defineTool, ToolFailure } from "../tool.js";

/** Announcing in the team channel is a couple of platform calls; a slow platform must not stall the turn for long. */
const HANDOFF_TIMEOUT_MS = 15_000;

export function createHandoffTool(handoffs: HandoffRequests) {
  return defineTool({
    name: "handoff_to_human",
    description:
      "Hand this conversation to a person from the support team. Call it when the customer asks " +
      "for a human, is upset or frustrated, or needs something you cannot do or answer with your " +
      "tools (refund exceptions, account changes, complaints). The customer is told what happens " +
      "next; afterwards write one short, kind sentence and do not try to solve the issue yourself.",
    statusText: "asking a person to take over...",
    timeoutMs: HANDOFF_TIMEOUT_MS,
    schema: z.strictObject({
      reason: z
        .string()
        .min(1)
        .max(300)
        .describe(
          "Why a person is needed, in a few words for the support team (e.g. 'wants a refund exception').",
        ),
    }),
    async run(args, ctx) {
      if (!ctx.conversation)
        throw new ToolFailure("denied", "hand-offs are not available in this conversation");
      await handoffs.request({
        conversation: ctx.conversation,
        userId: ctx.userId,
        userScope: ctx.userScope,
        userName: ctx.userName,
        reason: args.reason,
        trigger: "tool",
        question: ctx.question,
      });
      return {
        handedOff: true,
        note: "The customer has been told what happens next. Close with one short sentence; do not repeat contact details.",
      };
    },
  });
}
