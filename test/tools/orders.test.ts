import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Metrics } from "../../src/metrics.js";
import bundled from "../../src/tools/data/orders.json" with { type: "json" };
import { BundledOrders } from "../../src/tools/orders/bundled-orders.js";
import { createOrderStatusTool, ORDER_LOOKUP_WINDOW_MS } from "../../src/tools/orders/get-order-status.js";
import { type OrderBackend, orderSchema } from "../../src/tools/orders/order.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import { type FakeHttpBackend, startFakeHttpBackend } from "../fakes/http-backend.js";
import {
  call,
  capturedLogger,
  content,
  makeRegistry,
  metricValue,
  recordingKv,
  toolContext,
} from "./support.js";

const orders = orderSchema.array().parse(bundled);
const order = (id: string) => orders.find((o) => o.id === id)!;
const lookup = (args: Record<string, unknown>) => call("get_order_status", args);

// 1042: ana@example.com, linked to nobody. 1031: linked to web:local:demo.
const stranger = toolContext({ platform: "slack", workspaceId: "T0001", userId: "U9999" });
const demoUser = toolContext({ platform: "web", workspaceId: "local", userId: "demo" });

describe("the bundled sample orders", () => {
  it("ship about 30 valid orders with varied statuses, some linked to chat users", () => {
    expect(orders.length).toBeGreaterThanOrEqual(30);
    expect(new Set(orders.map((o) => o.status)).size).toBeGreaterThanOrEqual(6);
    expect(orders.filter((o) => o.linkedUsers.length > 0).length).toBeGreaterThanOrEqual(3);
    expect(orders.every((o) => o.email.endsWith("@example.com"))).toBe(true);
  });
});

describe("get_order_status", () => {
  it("shows an order when the email matches, in any letter case", async () => {
    const { registry } = makeRegistry();
    const result = await registry.run(lookup({ order_id: "#1042", email: "Ana@Example.com" }), stranger);
    expect(result.ok).toBe(true);
    expect(content(result)).toEqual({
      order_id: "1042",
      status: "processing",
      status_text: "being prepared in the warehouse; not shipped yet",
      placed_at: order("1042").placedAt,
      shipped_at: null,
      delivered_at: null,
      estimated_delivery: order("1042").estimatedDelivery,
      carrier: null,
      tracking_number: null,
      items: order("1042").items.map((i) => ({ name: i.name, quantity: i.quantity })),
      total: order("1042").total,
      currency: "USD",
      verified_by: "email",
    });
  });

  it("never shows the order's email or linked accounts to the model", async () => {
    const { registry } = makeRegistry();
    const result = await registry.run(lookup({ order_id: "1031", email: null }), demoUser);
    expect(result.ok).toBe(true);
    expect(content(result)).toMatchObject({
      order_id: "1031",
      carrier: "UPS",
      verified_by: "linked_chat_account",
    });
    expect(result.content).not.toMatch(/maria\.lopez|web:local:demo/);
  });

  it("shows a linked order to its chat user without an email, and to nobody else", async () => {
    const { registry } = makeRegistry();
    const mine = await registry.run(lookup({ order_id: "1031", email: null }), demoUser);
    expect(mine.ok).toBe(true);
    const other = await registry.run(lookup({ order_id: "1031", email: null }), stranger);
    expect(other.ok).toBe(false);
    expect(content(other)).toMatchObject({ error: "email_required" });
  });

  it("ignores identity claims in the arguments: a user id is not a parameter", async () => {
    const { registry } = makeRegistry();
    const result = await registry.run(
      lookup({ order_id: "1031", email: null, user_id: "demo", platform: "web" }),
      stranger,
    );
    expect(result.ok).toBe(false);
    expect(content(result)).toMatchObject({ error: "invalid_arguments" });
    expect(result.content).not.toMatch(/UPS|delivered/);
  });

  it("gives the same answer for a wrong email and for an order that does not exist", async () => {
    const { registry } = makeRegistry();
    const wrongEmail = await registry.run(lookup({ order_id: "1042", email: "me@example.com" }), stranger);
    const noOrder = await registry.run(lookup({ order_id: "9999", email: "me@example.com" }), stranger);
    expect(wrongEmail.ok).toBe(false);
    expect(wrongEmail.content).toBe(noOrder.content);
    expect(content(noOrder)).toMatchObject({ error: "order_not_found" });
    const withoutEmailExisting = await registry.run(lookup({ order_id: "1042", email: null }), stranger);
    const withoutEmailMissing = await registry.run(lookup({ order_id: "9999", email: null }), stranger);
    expect(withoutEmailExisting.content).toBe(withoutEmailMissing.content);
  });

  it("refuses all lookups by a user after too many failures within the hour, without looking", async () => {
    const { registry, kv, metrics } = makeRegistry({ ORDER_LOOKUP_FAILURES_PER_HOUR: 3 });
    for (const id of ["2001", "2002", "2003"]) {
      const r = await registry.run(lookup({ order_id: id, email: "guess@example.com" }), stranger);
      expect(content(r)).toMatchObject({ error: "order_not_found" });
    }
    // Even the right email for a real order is refused now.
    const refused = await registry.run(lookup({ order_id: "1042", email: "ana@example.com" }), stranger);
    expect(refused.ok).toBe(false);
    expect(content(refused)).toMatchObject({ error: "too_many_failed_lookups" });
    expect(kv.ttls.get("tool:orders:failures:slack:T0001:U9999")).toBe(ORDER_LOOKUP_WINDOW_MS);
    expect(
      await metricValue(metrics, "chatbot_tool_calls_total", {
        tool: "get_order_status",
        outcome: "too_many_failed_lookups",
      }),
    ).toBe(1);

    // Another user is not affected.
    const other = await registry.run(
      lookup({ order_id: "1042", email: "ana@example.com" }),
      toolContext({ platform: "discord", workspaceId: "G1", userId: "U1" }),
    );
    expect(other.ok).toBe(true);
  });

  it("cannot be turned into an order-id oracle by many lookups in parallel", async () => {
    const { registry } = makeRegistry({ ORDER_LOOKUP_FAILURES_PER_HOUR: 5 });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        registry.run(lookup({ order_id: String(3000 + i), email: "guess@example.com" }), stranger),
      ),
    );
    const errors = results.map((r) => (content(r) as { error: string }).error);
    expect(errors.filter((e) => e === "order_not_found")).toHaveLength(5);
    expect(errors.filter((e) => e === "too_many_failed_lookups")).toHaveLength(25);
  });

  it("does not count lookups refused as over the limit as new failures", async () => {
    // A backend that holds the first lookup until the test lets it answer.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let asked!: () => void;
    const firstAsked = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const bundledBackend = new BundledOrders();
    let heldOnce = false;
    const backend: OrderBackend = {
      kind: "bundled",
      async find(id) {
        if (id === "1042" && !heldOnce) {
          heldOnce = true;
          asked();
          await held;
        }
        return bundledBackend.find(id);
      },
    };
    const kv = recordingKv();
    const registry = new ToolRegistry({
      log: capturedLogger().log,
      metrics: new Metrics(),
      defaultTimeoutMs: 2_000,
    });
    registry.register(createOrderStatusTool({ backend, kv, failuresPerHour: 2 }));
    const good = () => lookup({ order_id: "1042", email: "ana@example.com" });

    const miss = await registry.run(lookup({ order_id: "2001", email: "guess@example.com" }), stranger);
    expect(content(miss)).toMatchObject({ error: "order_not_found" });
    // One failure so far; a lookup in flight holds the last slot, so two more are refused.
    const inFlight = registry.run(good(), stranger);
    await firstAsked;
    for (let i = 0; i < 2; i++) {
      const refused = await registry.run(good(), stranger);
      expect(content(refused)).toMatchObject({ error: "too_many_failed_lookups" });
    }
    release();
    expect((await inFlight).ok).toBe(true);
    // Still one real failure: the user may look up orders again.
    const after = await registry.run(good(), stranger);
    expect(after.ok).toBe(true);
    expect(content(after)).toMatchObject({ order_id: "1042" });
  });

  it("does not use up the allowance with successful lookups", async () => {
    const { registry } = makeRegistry({ ORDER_LOOKUP_FAILURES_PER_HOUR: 2 });
    for (let i = 0; i < 5; i++) {
      const ok = await registry.run(lookup({ order_id: "1042", email: "ana@example.com" }), stranger);
      expect(ok.ok).toBe(true);
    }
  });

  it("does not count a lookup without an email or with invalid arguments as a failure", async () => {
    const { registry } = makeRegistry({ ORDER_LOOKUP_FAILURES_PER_HOUR: 1 });
    await registry.run(lookup({ order_id: "1042", email: null }), stranger);
    await registry.run(lookup({ order_id: "1042", email: "not-an-email" }), stranger);
    const ok = await registry.run(lookup({ order_id: "1042", email: "ana@example.com" }), stranger);
    expect(ok.ok).toBe(true);
  });

  it("refuses lookups when the failure counter cannot be read (fails closed)", async () => {
    const { registry, kv } = makeRegistry();
    kv.failing = true;
    const result = await registry.run(lookup({ order_id: "1042", email: "ana@example.com" }), stranger);
    expect(result.ok).toBe(false);
    expect(content(result)).toMatchObject({ error: "backend_error" });
  });

  it("logs the call without the email or order number at info level", async () => {
    const { registry, log } = makeRegistry();
    await registry.run(lookup({ order_id: "1042", email: "ana@example.com" }), stranger);
    await registry.run(lookup({ order_id: "1043", email: "wrong@example.com" }), stranger);
    const lines = log.lines.filter((l) => l.tool === "get_order_status");
    expect(lines.map((l) => l.outcome)).toEqual(["ok", "order_not_found"]);
    expect(log.text()).not.toMatch(/example\.com|1042|1043/);
  });
});

describe("get_order_status (ORDERS_URL backend)", () => {
  let backend: FakeHttpBackend;
  const remote = {
    ...order("1042"),
    id: "A-77",
    email: "remote@example.org",
    linkedUsers: ["slack:T0001:U9999"],
  };

  beforeAll(async () => {
    backend = await startFakeHttpBackend((url) =>
      url.pathname === "/api/orders/A-77"
        ? { status: 200, body: remote }
        : { status: 404, body: { error: "not found" } },
    );
  });
  afterAll(async () => {
    await backend.close();
  });
  beforeEach(() => {
    backend.requests.length = 0;
    backend.setDelay(0);
  });

  function httpRegistry(timeoutMs = 2_000) {
    return makeRegistry({ ORDERS_URL: `${backend.url}/api/orders`, TOOL_TIMEOUT_MS: timeoutMs });
  }

  it("fetches GET {ORDERS_URL}/{id} and applies the same privacy rules", async () => {
    const { registry } = httpRegistry();
    const byEmail = await registry.run(lookup({ order_id: "A-77", email: "REMOTE@example.org" }), demoUser);
    expect(content(byEmail)).toMatchObject({ order_id: "A-77", verified_by: "email" });
    const linked = await registry.run(lookup({ order_id: "A-77", email: null }), stranger);
    expect(content(linked)).toMatchObject({ order_id: "A-77", verified_by: "linked_chat_account" });
    const wrong = await registry.run(lookup({ order_id: "A-77", email: "x@example.org" }), demoUser);
    expect(content(wrong)).toMatchObject({ error: "order_not_found" });
    expect(backend.requests.map((u) => u.pathname)).toEqual([
      "/api/orders/A-77",
      "/api/orders/A-77",
      "/api/orders/A-77",
    ]);
  });

  it("treats 404 as not found", async () => {
    const { registry } = httpRegistry();
    const result = await registry.run(lookup({ order_id: "B-1", email: "remote@example.org" }), demoUser);
    expect(backend.requests[0]?.pathname).toBe("/api/orders/B-1");
    expect(content(result)).toMatchObject({ error: "order_not_found" });
  });

  it("refuses order ids that could address another path before any request reaches the backend", async () => {
    const { registry } = httpRegistry();
    for (const id of ["..", ".", "a/b", "%2e%2e", "../A-77", "A-77/..", "A-77?x=1", "#..", "A 77"]) {
      const result = await registry.run(lookup({ order_id: id, email: "remote@example.org" }), demoUser);
      expect(result.ok, id).toBe(false);
      expect(content(result), id).toMatchObject({ error: "invalid_order_id" });
    }
    expect(backend.requests.map((u) => u.pathname)).toEqual([]);
    // Refused ids are bad input, not guesses: the user's failure allowance is untouched.
    const ok = await registry.run(lookup({ order_id: "A-77", email: "remote@example.org" }), demoUser);
    expect(content(ok)).toMatchObject({ order_id: "A-77" });
  });

  it("reports a backend error for a server failure or an order that breaks the contract", async () => {
    const { registry } = httpRegistry();
    backend.setHandler(() => ({ status: 500, body: { error: "boom" } }));
    const down = await registry.run(lookup({ order_id: "A-77", email: "remote@example.org" }), demoUser);
    expect(content(down)).toEqual({ error: "backend_error", message: "The order system failed (HTTP 500)." });
    backend.setHandler(() => ({ status: 200, body: { ...remote, status: "teleported" } }));
    const broken = await registry.run(lookup({ order_id: "A-77", email: "remote@example.org" }), demoUser);
    expect(content(broken)).toMatchObject({ error: "backend_error" });
  });

  it("times out when the order system is too slow", async () => {
    backend.setHandler(() => ({ status: 200, body: remote }));
    backend.setDelay(2_000);
    const { registry } = httpRegistry(150);
    const result = await registry.run(lookup({ order_id: "A-77", email: "remote@example.org" }), demoUser);
    expect(content(result)).toMatchObject({ error: "timeout" });
  });
});
