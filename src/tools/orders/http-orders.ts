/**
 * Orders from an HTTP backend (`ORDERS_URL`). Contract (documented in the README):
 *
 *   GET {ORDERS_URL}/{orderId}      (orderId URL-encoded)
 *   200 Order JSON                  (same shape as the bundled sample orders)
 *   404                             no such order
 *
 * The backend returns the order with its email; the email check and the linked-account check
 * happen in the tool, so the privacy rule lives in one place whichever backend is used.
 */
import { type FetchLike, getJson } from "../http.js";
import { isValidOrderId, type Order, type OrderBackend, orderSchema } from "./order.js";

export class HttpOrders implements OrderBackend {
  readonly kind = "http";

  constructor(private readonly opts: { url: string; fetch: FetchLike }) {}

  async find(orderId: string, signal: AbortSignal): Promise<Order | null> {
    // The tool refuses such ids first; this keeps the backend safe from any other caller.
    if (!isValidOrderId(orderId)) throw new Error("order id outside ORDER_ID_PATTERN");
    const base = this.opts.url.endsWith("/") ? this.opts.url : `${this.opts.url}/`;
    const url = new URL(encodeURIComponent(orderId), base);
    const order = await getJson({
      fetch: this.opts.fetch,
      url,
      signal,
      schema: orderSchema,
      service: "the order system",
      nullOn: [404],
    });
    // A backend that answers for another id is treated as "not found", never shown.
    return order && order.id === orderId ? order : null;
  }
}
