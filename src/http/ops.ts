/**
 * Operator endpoints: liveness, readiness and Prometheus metrics.
 * /healthz answers as long as the event loop does; /readyz says whether this replica should get
 * traffic (store answering, every enabled adapter connected, the help center indexed) and names
 * what is not ready: names and states only. The reason (an error text may carry a Redis host or
 * address) goes to the log.
 */
import type { Store } from "../core/ports.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import type { PlatformAdapter } from "../platforms/adapter.js";
import type { HostCheck } from "./hosts.js";
import { ProbeLog } from "./probe-log.js";
import { type HttpServer, sendJson } from "./server.js";

/** A readiness probe must answer well inside Kubernetes' default 1 s probe timeout. */
const STORE_PING_TIMEOUT_MS = 800;

export function registerOpsRoutes(
  http: HttpServer,
  deps: {
    store: Store;
    adapters: () => PlatformAdapter[];
    metrics: Metrics;
    shuttingDown: () => boolean;
    /** More parts that must be ready, by name: each returns its state, "ready" or another word. */
    checks?: Record<string, () => string>;
    log: Logger;
    /** Clock for the store's failure log (tests control it). */
    now?: () => number;
    /** Set while the web chat is on: a browser could otherwise reach these (see hosts.ts). */
    allowHost?: HostCheck | undefined;
  },
): void {
  const opts = { allowHost: deps.allowHost };
  // A down store is logged when it goes down and then once a minute, not at the probe rate.
  const storeLog = new ProbeLog("store", deps.log, deps.now);
  http.route(
    "GET",
    "/healthz",
    (_req, res) => {
      sendJson(res, 200, { status: "ok" });
    },
    opts,
  );

  http.route(
    "GET",
    "/readyz",
    async (_req, res) => {
      const problems: Record<string, string> = {};
      if (deps.shuttingDown()) problems.process = "shutting down";
      try {
        await withTimeout(deps.store.ping(), STORE_PING_TIMEOUT_MS);
        storeLog.succeeded({ store: deps.store.kind });
      } catch (err) {
        problems.store = "not answering";
        deps.metrics.readinessFailures.inc({ part: "store" });
        storeLog.failed(err, { store: deps.store.kind });
      }
      const adapters: Record<string, boolean> = {};
      for (const adapter of deps.adapters()) {
        adapters[adapter.platform] = adapter.isReady();
        if (!adapters[adapter.platform]) problems[adapter.platform] = "not connected";
      }
      const checks: Record<string, string> = {};
      for (const [name, state] of Object.entries(deps.checks ?? {})) {
        checks[name] = state();
        if (checks[name] !== "ready") problems[name] = checks[name];
      }
      const ready = Object.keys(problems).length === 0;
      sendJson(res, ready ? 200 : 503, {
        status: ready ? "ready" : "not ready",
        store: deps.store.kind,
        adapters,
        checks,
        problems,
      });
    },
    opts,
  );

  http.route(
    "GET",
    "/metrics",
    async (_req, res) => {
      const { contentType, body } = await deps.metrics.render();
      res.writeHead(200, { "content-type": contentType });
      res.end(body);
    },
    opts,
  );
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
