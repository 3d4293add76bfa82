/**
 * The order shape shared by the bundled sample orders and the HTTP backend (`ORDERS_URL`), and
 * the interface both backends implement. Backends only find orders by id; who may see an order
 * is decided in one place, the get_order_status tool.
 */
import { z } from "zod";

export const ORDER_STATUSES = [
  "pending_payment",
  "processing",
  "shipped",
  "out_for_delivery",
  "delivered",
  "delayed",
  "cancelled",
  "returned",
] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

const timestamp = z.string().min(1);

export const orderSchema = z.object({
  id: z.string().min(1),
  /** The email the order was placed with. Never shown to the model. */
  email: z.string().min(3),
  status: z.enum(ORDER_STATUSES),
  placedAt: timestamp,
  shippedAt: timestamp.nullable().default(null),
  deliveredAt: timestamp.nullable().default(null),
  /** Date (YYYY-MM-DD) the carrier or warehouse expects delivery. */
  estimatedDelivery: z.string().nullable().default(null),
  carrier: z.string().nullable().default(null),
  trackingNumber: z.string().nullable().default(null),
  items: z
    .array(
      z.object({
        sku: z.string().optional(),
        name: z.string().min(1),
        quantity: z.number().int().positive(),
        unitPrice: z.number().nonnegative().optional(),
      }),
    )
    .min(1),
  total: z.number().nonnegative().optional(),
  currency: z.string().length(3).optional(),
  /** Chat accounts that may see the order without the email, as "platform:workspaceId:userId". */
  linkedUsers: z.array(z.string()).default([]),
});

export type Order = z.output<typeof orderSchema>;

export interface OrderBackend {
  readonly kind: "bundled" | "http";
  /** The order with this id, or null when there is none. */
  find(orderId: string, signal: AbortSignal): Promise<Order | null>;
}

/**
 * What an order number may look like: letters, digits, "-" and "_", starting with a letter or
 * digit, at most 40 characters. Checked before any backend is asked: an id like "..", "." or
 * "a/b" would otherwise become a path of its own in `GET {ORDERS_URL}/{id}` (".." resolves to
 * the parent path), and "%2e%2e" may be decoded into one by a proxy in front of the backend.
 */
export const ORDER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/;

export function isValidOrderId(orderId: string): boolean {
  return ORDER_ID_PATTERN.test(orderId);
}

/** "#1042 " -> "1042". */
export function normalizeOrderId(orderId: string): string {
  return orderId.trim().replace(/^#\s*/, "").trim();
}
