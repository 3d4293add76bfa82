/**
 * The tools the service registers: get_weather, search_products, get_order_status. Backends
 * are chosen from the environment: Open-Meteo for weather, the bundled catalog and sample
 * orders unless PRODUCTS_URL / ORDERS_URL point at HTTP backends.
 */
import type { Env } from "../config.js";
import type { KeyValueStore } from "../core/ports.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import type { FetchLike } from "./http.js";
import { BundledOrders } from "./orders/bundled-orders.js";
import { createOrderStatusTool } from "./orders/get-order-status.js";
import { HttpOrders } from "./orders/http-orders.js";
import type { OrderBackend } from "./orders/order.js";
import { BundledCatalog } from "./products/bundled-catalog.js";
import type { ProductBackend } from "./products/catalog.js";
import { HttpCatalog } from "./products/http-catalog.js";
import { createProductSearchTool } from "./products/search-products.js";
import { ToolRegistry } from "./registry.js";
import { createWeatherTool } from "./weather/get-weather.js";

export { ToolRegistry } from "./registry.js";
export { defineTool, ToolFailure } from "./tool.js";

export type ToolEnv = Pick<
  Env,
  | "WEATHER_API_URL"
  | "GEOCODING_API_URL"
  | "PRODUCTS_URL"
  | "ORDERS_URL"
  | "ORDER_LOOKUP_FAILURES_PER_HOUR"
  | "TOOL_TIMEOUT_MS"
>;

export interface CreateToolRegistryOptions {
  env: ToolEnv;
  kv: KeyValueStore;
  log: Logger;
  metrics: Metrics;
  /** Defaults to the global fetch; tests may pass their own. */
  fetch?: FetchLike;
}

export function createToolRegistry(opts: CreateToolRegistryOptions): ToolRegistry {
  const fetchImpl = opts.fetch ?? globalThis.fetch;
  const { env } = opts;
  const products: ProductBackend = env.PRODUCTS_URL
    ? new HttpCatalog({ url: env.PRODUCTS_URL, fetch: fetchImpl })
    : new BundledCatalog();
  const orders: OrderBackend = env.ORDERS_URL
    ? new HttpOrders({ url: env.ORDERS_URL, fetch: fetchImpl })
    : new BundledOrders();
  opts.log.info({ products: products.kind, orders: orders.kind }, "tools ready");
  return new ToolRegistry({ log: opts.log, metrics: opts.metrics, defaultTimeoutMs: env.TOOL_TIMEOUT_MS })
    .register(
      createWeatherTool({
        geocodingUrl: env.GEOCODING_API_URL,
        weatherUrl: env.WEATHER_API_URL,
        kv: opts.kv,
        fetch: fetchImpl,
      }),
    )
    .register(createProductSearchTool(products))
    .register(
      createOrderStatusTool({
        backend: orders,
        kv: opts.kv,
        failuresPerHour: env.ORDER_LOOKUP_FAILURES_PER_HOUR,
      }),
    );
}
