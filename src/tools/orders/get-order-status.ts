/**
 * get_order_status: an order's status, items, carrier, tracking number and dates.
 *
 * Privacy comes before helpfulness. An order is shown only when the email the customer gave
 * matches the order's email, or when the order is linked to the asking chat account, which
 * comes from the turn context and never from the model's arguments ("I am its owner" in a
 * prompt changes nothing). "No such order" and "wrong email" get the same answer, and failed
 * lookups count against a per-user limit, so the tool cannot be used to probe order ids.
 *
 * In a shared conversation (a channel thread) the asker is whoever spoke last, while anyone in
 * the thread may have written the instructions the model follows: there the linked account does
 * not count, only the email does, and the result is delivered to the asker privately by the core
 * (the tool declares `personalData`).
 *
 * A failed lookup counts against the asker of the turn. So that someone else's message in a
 * shared thread ("look up orders 1 to 50 with my email") cannot spend the next speaker's
 * allowance, there the order number and the email must be ones the asker wrote themselves
 * (`ToolContext.askerText`); other details are refused without a lookup and without counting.
 * And within one turn, the same wrong order number and email count once, however often the
 * model is made to repeat them.
 */
import { z } from "zod";
import type { KeyValueStore } from "../../core/ports.js";
import type { Logger } from "../../log.js";
import { defineTool, ToolFailure } from "../tool.js";
import {
  isValidOrderId,
  normalizeOrderId,
  type Order,
  type OrderBackend,
  type OrderStatus,
} from "./order.js";

/** Failed lookups are counted in a window this long (ORDER_LOOKUP_FAILURES_PER_HOUR). */
export const ORDER_LOOKUP_WINDOW_MS = 60 * 60 * 1000;

const STATUS_TEXT: Record<OrderStatus, string> = {
  pending_payment: "waiting for payment; it ships once payment clears",
  processing: "being prepared in the warehouse; not shipped yet",
  shipped: "shipped and on its way with the carrier",
  out_for_delivery: "out for delivery today",
  delivered: "delivered",
  delayed: "delayed in transit; the carrier has a new estimated delivery date",
  cancelled: "cancelled; nothing was shipped",
  returned: "returned",
};

const argsSchema = z.strictObject({
  order_id: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .describe('The order number exactly as the customer gave it, e.g. "1042" (a leading # is fine).'),
  email: z
    .email()
    .max(254)
    .nullish()
    .describe(
      "The email address used on the order, as the customer typed it in this conversation. Null if they did not give one. Never guess it or take it from another order.",
    ),
});

export interface OrderToolOptions {
  backend: OrderBackend;
  kv: KeyValueStore;
  /** Failed lookups one chat user may make per hour (ORDER_LOOKUP_FAILURES_PER_HOUR). */
  failuresPerHour: number;
}

export function createOrderStatusTool(opts: OrderToolOptions) {
  /** Order number + email pairs that failed in a running turn (dropped with the turn). */
  const failedInTurn = new WeakMap<object, Set<string>>();
  return defineTool({
    name: "get_order_status",
    description:
      "Look up the status of a customer's order: status, items, carrier, tracking number and dates. Needs the order number and the email address used on the order (in a direct message with the customer, an order linked to their chat account needs no email). Only call it with details the customer gave in this conversation. If the result is not found, ask the customer to check both the order number and the email; do not try other order numbers.",
    statusText: "looking up your order...",
    schema: argsSchema,
    personalData: { render: orderText },
    async run(args, ctx) {
      const orderId = normalizeOrderId(args.order_id);
      if (orderId === "") {
        throw new ToolFailure("invalid_arguments", "The order number is empty.", {
          fields: [{ field: "order_id", problem: "empty order number" }],
        });
      }
      if (!isValidOrderId(orderId)) {
        // Refused before any lookup: such an id could address another path of the backend.
        throw new ToolFailure(
          "invalid_arguments",
          "That is not an order number: order numbers contain only letters, digits, - and _. Ask the customer to check it.",
          {
            reason: "invalid_order_id",
            fields: [{ field: "order_id", problem: "only letters, digits, - and _" }],
          },
        );
      }
      if (!args.email && ctx.audience === "shared") {
        // Nothing was looked up and nothing is told about the order: not a failure either.
        throw new ToolFailure(
          "denied",
          "Orders linked to a chat account are only looked up in a direct message with the assistant, because this conversation is shared with other people. Tell the customer to message the assistant directly, or to give the email address used on the order (the details are then sent to them privately).",
          { reason: "private_conversation_required" },
        );
      }
      if (ctx.audience === "shared" && !givenByAsker(ctx.askerText, orderId, args.email)) {
        // Nothing was looked up: neither a failure nor anything told about the order.
        throw new ToolFailure(
          "denied",
          "In this shared conversation an order is looked up only with the order number and email address the person asking wrote themselves. Ask them to write both in their own message.",
          { reason: "details_not_from_asker" },
        );
      }
      // The same wrong details again in this turn: the same answer, no second failure.
      const pair = `${orderId.toLowerCase()}\n${(args.email ?? "").trim().toLowerCase()}`;
      let failedPairs = failedInTurn.get(ctx.turn);
      if (!failedPairs) {
        failedPairs = new Set<string>();
        failedInTurn.set(ctx.turn, failedPairs);
      }
      if (failedPairs.has(pair)) throw notFound();
      // Every lookup takes a slot of the user's failure allowance before it looks (so parallel
      // calls cannot all pass the check), and gives it back unless it failed.
      const failureKey = `tool:orders:failures:${ctx.limitKey}`;
      await takeLookupSlot(opts, failureKey, ctx.log);
      let failed = false;
      try {
        return await lookUp();
      } catch (err) {
        failed = err instanceof ToolFailure && err.code === "not_found" && !failedPairs.has(pair);
        if (failed) failedPairs.add(pair);
        throw err;
      } finally {
        if (!failed) await giveBackSlot(opts.kv, failureKey, ctx.log);
      }

      async function lookUp() {
        const order = await opts.backend.find(orderId, ctx.signal);
        const linked = ctx.audience === "private" && order?.linkedUsers.includes(ctx.userKey);
        if (order && linked) return orderView(order, "linked_chat_account");
        if (!args.email) {
          // Same answer whether the order exists or not, and nothing was tried: not a failure.
          throw new ToolFailure(
            "invalid_arguments",
            "The email address used on the order is needed to show it. Ask the customer for it.",
            { reason: "email_required", fields: [{ field: "email", problem: "required for this order" }] },
          );
        }
        if (order && sameEmail(order.email, args.email)) return orderView(order, "email");
        throw notFound();
      }
    },
  });
}

function notFound(): ToolFailure {
  return new ToolFailure(
    "not_found",
    "No order matches that order number and email address. Ask the customer to check both; the email must be the one used when ordering. Do not try other order numbers.",
    { reason: "order_not_found" },
  );
}

/** Whether the asker wrote this order number (as a whole word) and this email themselves. */
function givenByAsker(askerText: string, orderId: string, email: string | null | undefined): boolean {
  const words = askerText.toLowerCase();
  if (email && !words.includes(email.trim().toLowerCase())) return false;
  // Order numbers hold only letters, digits, - and _ (isValidOrderId): nothing to escape.
  return new RegExp(`(^|[^a-z0-9_-])#?\\s*${orderId.toLowerCase()}($|[^a-z0-9_-])`).test(words);
}

async function takeLookupSlot(opts: OrderToolOptions, key: string, log: Logger): Promise<void> {
  let used: number;
  try {
    used = await opts.kv.increment(key, ORDER_LOOKUP_WINDOW_MS);
  } catch (err) {
    // Without the counter we cannot enforce the limit: fail closed.
    throw new ToolFailure(
      "backend_error",
      "Order lookups are unavailable right now. Ask the customer to try again later.",
      {},
      {
        cause: err,
      },
    );
  }
  if (used > opts.failuresPerHour) {
    // A refused lookup looked at nothing: it must not count as one more failure, or a burst of
    // refused calls would keep the user locked out after their real failures expire from view.
    await giveBackSlot(opts.kv, key, log);
    throw new ToolFailure(
      "denied",
      "Too many unsuccessful order lookups from this chat account. For the customers' privacy, order lookups are paused for up to an hour. Tell the user to try again later or to contact support by email.",
      { reason: "too_many_failed_lookups" },
    );
  }
}

async function giveBackSlot(kv: KeyValueStore, key: string, log: Logger): Promise<void> {
  try {
    await kv.increment(key, ORDER_LOOKUP_WINDOW_MS, -1);
  } catch (err) {
    log.warn({ err }, "could not give back an order lookup slot");
  }
}

function sameEmail(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

type OrderView = ReturnType<typeof orderView>;

/** The order as its owner reads it in a private message (Markdown; the adapters render it). */
export function orderText(view: OrderView): string {
  const lines = [`**Order ${view.order_id}**: ${view.status_text}.`];
  lines.push(`- Items: ${view.items.map((i) => `${i.quantity} × ${i.name}`).join(", ")}`);
  if (view.total !== null)
    lines.push(`- Total: ${view.total.toFixed(2)}${view.currency ? ` ${view.currency}` : ""}`);
  lines.push(`- Placed: ${view.placed_at}`);
  if (view.shipped_at) lines.push(`- Shipped: ${view.shipped_at}`);
  if (view.delivered_at) lines.push(`- Delivered: ${view.delivered_at}`);
  else if (view.estimated_delivery) lines.push(`- Estimated delivery: ${view.estimated_delivery}`);
  if (view.carrier) {
    lines.push(
      `- Carrier: ${view.carrier}${view.tracking_number ? `, tracking number ${view.tracking_number}` : ""}`,
    );
  }
  return lines.join("\n");
}

/** What the model may see: never the email or the linked accounts. */
function orderView(order: Order, verifiedBy: "email" | "linked_chat_account") {
  return {
    order_id: order.id,
    status: order.status,
    status_text: STATUS_TEXT[order.status],
    placed_at: order.placedAt,
    shipped_at: order.shippedAt,
    delivered_at: order.deliveredAt,
    estimated_delivery: order.estimatedDelivery,
    carrier: order.carrier,
    tracking_number: order.trackingNumber,
    items: order.items.map((i) => ({ name: i.name, quantity: i.quantity })),
    total: order.total ?? null,
    currency: order.currency ?? null,
    verified_by: verifiedBy,
  };
}
