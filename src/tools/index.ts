/**
 * The tools the service registers: get_weather, search_products, get_order_status and
 * search_help_center. Backends are chosen from the environment: Open-Meteo for weather, the
 * bundled catalog and sample orders unless PRODUCTS_URL / ORDERS_URL point at HTTP backends, the
 * bundled sample help center unless KNOWLEDGE_DIR points at the team's own.
 */
import type { Env } from "../config.js";
import type { HandoffRequests, KeyValueStore, VectorCache } from "../core/ports.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import { createHandoffTool } from "./handoff/handoff-to-human.js";
import type { FetchLike } from "./http.js";
import { CachedEmbedder, type Embedder, OpenAIEmbeddings } from "./knowledge/embeddings.js";
import { BUNDLED_HELP_CENTER, KnowledgeBase } from "./knowledge/knowledge-base.js";
import { createHelpCenterTool } from "./knowledge/search-help-center.js";
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

export { BUNDLED_HELP_CENTER, KnowledgeBase } from "./knowledge/knowledge-base.js";
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
  /** The help center; search_help_center is registered when given. */
  knowledge?: KnowledgeBase;
  /** Hand-offs to the support team; handoff_to_human is registered when given. */
  handoffs?: HandoffRequests;
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
  const registry = new ToolRegistry({
    log: opts.log,
    metrics: opts.metrics,
    defaultTimeoutMs: env.TOOL_TIMEOUT_MS,
  })
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
  if (opts.knowledge) registry.register(createHelpCenterTool(opts.knowledge));
  if (opts.handoffs) registry.register(createHandoffTool(opts.handoffs));
  return registry;
}

export interface CreateKnowledgeBaseOptions {
  env: Pick<Env, "KNOWLEDGE_DIR" | "EMBEDDINGS_MODEL" | "EMBEDDINGS_CACHE_TTL_S" | "OPENAI_API_KEY">;
  /** Where `/embeddings` lives: OPENAI_BASE_URL, or OpenAI's. */
  baseURL: string;
  vectors: VectorCache;
  log: Logger;
  fetch?: FetchLike;
}

/** The help center from the environment (not started: call `start()`). */
export function createKnowledgeBase(opts: CreateKnowledgeBaseOptions): KnowledgeBase {
  const { env } = opts;
  let embedder: Embedder | undefined;
  if (env.EMBEDDINGS_MODEL) {
    const inner = new OpenAIEmbeddings({
      baseURL: opts.baseURL,
      apiKey: env.OPENAI_API_KEY,
      model: env.EMBEDDINGS_MODEL,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
    embedder = new CachedEmbedder(inner, opts.vectors, env.EMBEDDINGS_CACHE_TTL_S * 1000);
  }
  const dir = env.KNOWLEDGE_DIR ?? BUNDLED_HELP_CENTER;
  opts.log.info(
    { knowledge: env.KNOWLEDGE_DIR ? dir : "bundled sample", embeddings: env.EMBEDDINGS_MODEL ?? "off" },
    "help center configured",
  );
  // The bundled sample only changes with a new release; the team's own folder is watched.
  return new KnowledgeBase({ dir, log: opts.log, embedder, watch: env.KNOWLEDGE_DIR !== undefined });
}
