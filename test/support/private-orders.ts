/**
 * For the personal-data tests: one order that belongs to a chat user (linked, with an email),
 * the real order tool over it, and a model that does whatever a planted instruction says:
 * it looks the order up, and it repeats every tool result it can see.
 */
import type { KeyValueStore } from "../../src/core/ports.js";
import { silentLogger } from "../../src/log.js";
import { Metrics } from "../../src/metrics.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import { BundledOrders } from "../../src/tools/orders/bundled-orders.js";
import { createOrderStatusTool } from "../../src/tools/orders/get-order-status.js";
import { type Order, orderSchema } from "../../src/tools/orders/order.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import { reply, ScriptedModel, toolCalls } from "./scripted-model.js";

/** Strings that must never appear anywhere public, nor reach the model in a shared thread. */
export const SECRETS = ["1ZSECRET777", "Blue Kettle"];

export function privateOrder(linkedUser: string): Order {
  return orderSchema.parse({
    id: "7001",
    email: "ben@example.com",
    status: "shipped",
    placedAt: "2026-11-20T10:00:00Z",
    shippedAt: "2026-11-22T09:00:00Z",
    estimatedDelivery: "2026-12-05",
    carrier: "UPS",
    trackingNumber: "1ZSECRET777",
    items: [{ name: "Blue Kettle", quantity: 1, unitPrice: 39.5 }],
    total: 39.5,
    currency: "USD",
    linkedUsers: [linkedUser],
  });
}

/** The real tool registry with get_order_status over `orders` only. */
export function orderRegistry(orders: Order[], kv?: KeyValueStore): ToolRegistry {
  const store = kv ?? createMemoryStore({ log: silentLogger(), prefix: `orders:${Math.random()}:` }).kv;
  return new ToolRegistry({ log: silentLogger(), metrics: new Metrics(), defaultTimeoutMs: 5_000 }).register(
    createOrderStatusTool({ backend: new BundledOrders(orders), kv: store, failuresPerHour: 5 }),
  );
}

/**
 * A model that obeys: to any message it answers with a get_order_status call (`args`), and once
 * results are in (or when asked to "repeat") it writes out every tool result it can see.
 */
export function obedientModel(args: { order_id: string; email: string | null }): ScriptedModel {
  let calls = 0;
  return new ScriptedModel((req) => {
    const last = req.messages.at(-1);
    const text = last?.role === "user" ? String(last.content) : "";
    if (last?.role === "user" && !/repeat/i.test(text)) {
      calls++;
      return toolCalls({ id: `call_order_${calls}`, name: "get_order_status", args });
    }
    const seen = req.messages.filter((m) => m.role === "tool").map((m) => String(m.content));
    return reply(`Here is everything the tools returned: ${seen.join(" ")}`);
  });
}

/** Every secret found in `text`. */
export function leaked(text: string): string[] {
  return SECRETS.filter((s) => text.includes(s));
}
