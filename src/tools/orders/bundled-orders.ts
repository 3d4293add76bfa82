/**
 * The sample orders that ship with the project (src/tools/data/orders.json), for demos and as
 * the default when no `ORDERS_URL` is set.
 */
import bundledOrders from "../data/orders.json" with { type: "json" };
import { type Order, type OrderBackend, orderSchema } from "./order.js";

export class BundledOrders implements OrderBackend {
  readonly kind = "bundled";
  private readonly orders: Map<string, Order>;

  constructor(orders: Order[] = orderSchema.array().parse(bundledOrders)) {
    this.orders = new Map(orders.map((o) => [o.id, o]));
  }

  async find(orderId: string): Promise<Order | null> {
    return this.orders.get(orderId) ?? null;
  }
}
