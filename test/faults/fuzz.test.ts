/**
 * Bad input at the HTTP surface of one service process (Slack over HTTP and the web chat on).
 * Slack requests that are unsigned, badly signed, replayed, oversized or malformed are refused with
 * the status the receiver defines (src/platforms/slack/http-receiver.ts: 401 for a failed signature
 * or a stale timestamp, 413 above Bolt's 4 MB body limit, 400 for a body that does not parse) and
 * never reach the conversation core. Then a few hundred random requests hit every endpoint: the
 * process stays up, healthy, and never answers 500 or logs an unhandled error.
 */
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoLlmServer, startDemoLlmServer } from "../../src/llm/demo/server.js";
import { FAKE_BOT_TOKEN, FAKE_BOT_USER_ID, FakeSlack } from "../fakes/slack-api.js";
import {
  eventEnvelope,
  FAKE_SIGNING_SECRET,
  HttpDelivery,
  mentionEvents,
  signSlackRequest,
} from "../fakes/slack-events.js";
import {
  answersIn,
  echoingLlm,
  isFinal,
  metricSum,
  SCALED_UPDATES_PER_MINUTE,
  SLACK_TIME_SCALE,
  waitFor,
} from "../support/replicas.js";
import { baseEnv, type ServiceProcess, startService } from "../support/service-process.js";

/** Bolt's body limit for Slack requests (HTTPModuleFunctions.defaultBodyLimit). */
const SLACK_BODY_LIMIT_BYTES = 4 * 1024 * 1024;
/** Slack refuses requests whose timestamp is more than 5 minutes old; this one is 6. */
const REPLAY_AGE_S = 6 * 60;
const RANDOM_REQUESTS = 300;
/**
 * Random requests in flight at once (signed bodies Bolt cannot type wait 3 s for an ack). With 100,
 * a service starved of CPU by a busy machine left connections waiting past the client's and the
 * server's timeouts ("fetch failed"), which says nothing about how it treats bad input.
 */
const CONCURRENCY = 30;
/** Fixed so a failure can be replayed; FUZZ_SEED=n tries other inputs. */
const SEED = Number(process.env.FUZZ_SEED ?? 20_240_601);

let slack: FakeSlack;
let llm: DemoLlmServer;
let service: ServiceProcess;
let events: HttpDelivery;
/** A session the web chat issued, so fuzzed messages also reach the core. */
let fuzzSession = "";

beforeAll(async () => {
  slack = await new FakeSlack({ timeScale: SLACK_TIME_SCALE }).start();
  slack.addChannel({ id: "C1" });
  slack.addUser({ id: "U1", name: "ana", realName: "Ana Lima" });
  llm = await startDemoLlmServer({ respond: echoingLlm() });
  service = await startService(
    baseEnv({
      SLACK_BOT_TOKEN: FAKE_BOT_TOKEN,
      SLACK_SIGNING_SECRET: FAKE_SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      SLACK_UPDATES_PER_MINUTE: String(SCALED_UPDATES_PER_MINUTE),
      OPENAI_BASE_URL: llm.url,
      OPENAI_API_KEY: "sk-test",
      OPENAI_MAX_RETRIES: "0",
      WEB_CHAT: "on",
      HOST: "127.0.0.1",
      THROTTLE_REQUESTS: "1000",
      // CONCURRENCY clients, all from 127.0.0.1: more than one address may hold by default.
      HTTP_MAX_CONNECTIONS_PER_IP: "256",
    }),
  );
  events = new HttpDelivery(`${service.url}/slack/events`);
  const issued = await fetch(`${service.url}/api/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  fuzzSession = ((await issued.json()) as { sessionId: string }).sessionId;
});

afterAll(async () => {
  await service?.stop("SIGKILL");
  await llm?.close();
  await slack?.close();
});

/** A mention the bot would answer if the request were accepted. */
function mentionBody(text = "where is my order?"): string {
  const ts = slack.nextTs();
  const { appMention } = mentionEvents({
    channel: "C1",
    user: "U1",
    text: `<@${FAKE_BOT_USER_ID}> ${text}`,
    ts,
  });
  return JSON.stringify(eventEnvelope(appMention));
}

function signed(body: string, ageSec = 0): Record<string, string> {
  return signSlackRequest(FAKE_SIGNING_SECRET, body, Math.floor(Date.now() / 1000) - ageSec);
}

/** POST with node:http, which reports a status even when the server answers before reading the body. */
function rawPost(path: string, headers: Record<string, string>, body: Buffer | string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${service.url}${path}`, { method: "POST", headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    // The server may close the connection once it has refused an oversized body.
    req.on("error", reject);
    req.end(body);
  });
}

async function post(headers: Record<string, string>, body: string | Buffer): Promise<number> {
  const res = await fetch(`${service.url}/slack/events`, { method: "POST", headers, body: asBody(body) });
  await res.arrayBuffer();
  return res.status;
}

/** fetch takes bytes as a Uint8Array (its types do not list Buffer). */
function asBody(body: string | Buffer): string | Uint8Array<ArrayBuffer> {
  return typeof body === "string" ? body : new Uint8Array(body);
}

const JSON_TYPE = { "content-type": "application/json" };
const FORM_TYPE = { "content-type": "application/x-www-form-urlencoded" };

describe("bad Slack requests", () => {
  it("are refused with 401, 413 or 400 and never reach the conversation core", async () => {
    const body = mentionBody();
    const form = new URLSearchParams({ command: "/summarize", text: "", channel_id: "C1" }).toString();
    const oversized = JSON.stringify({ ...JSON.parse(body), padding: "x".repeat(SLACK_BODY_LIMIT_BYTES) });
    const cases: { name: string; status: () => Promise<number>; expected: number[] }[] = [
      { name: "unsigned", status: () => post(JSON_TYPE, body), expected: [401] },
      {
        name: "signed with another secret",
        status: () => events.event(JSON.parse(body), { secret: "not-the-secret" }).then((r) => r.status),
        expected: [401],
      },
      {
        name: "signature of another body",
        status: () => post({ ...JSON_TYPE, ...signed(mentionBody("something else")) }, body),
        expected: [401],
      },
      {
        name: "garbage signature",
        status: () => post({ ...JSON_TYPE, ...signed(body), "x-slack-signature": "v0=zz" }, body),
        expected: [401],
      },
      {
        name: "no timestamp",
        status: () =>
          post({ ...JSON_TYPE, "x-slack-signature": signed(body)["x-slack-signature"] ?? "" }, body),
        expected: [401],
      },
      {
        name: "replayed (timestamp 6 minutes old, correctly signed)",
        status: () => post({ ...JSON_TYPE, ...signed(body, REPLAY_AGE_S) }, body),
        expected: [401],
      },
      {
        name: "oversized, signed",
        status: () => rawPost("/slack/events", { ...JSON_TYPE, ...signed(oversized) }, oversized),
        expected: [413],
      },
      {
        name: "oversized, unsigned",
        status: () => rawPost("/slack/events", JSON_TYPE, oversized),
        expected: [413],
      },
      {
        name: "bad JSON",
        status: () => post({ ...JSON_TYPE, ...signed("{not json") }, "{not json"),
        expected: [400],
      },
      { name: "JSON null", status: () => post({ ...JSON_TYPE, ...signed("null") }, "null"), expected: [400] },
      {
        name: "event that is not an object",
        status: () => {
          const b = JSON.stringify({ ...JSON.parse(body), event: 42 });
          return post({ ...JSON_TYPE, ...signed(b) }, b);
        },
        expected: [400],
      },
      {
        name: "bad form encoding (payload not JSON)",
        status: () => post({ ...FORM_TYPE, ...signed("payload=%7Bnot-json") }, "payload=%7Bnot-json"),
        expected: [400],
      },
      {
        name: "bad form encoding (broken escapes)",
        status: () => post({ ...FORM_TYPE, ...signed("payload=%E0%A4%A") }, "payload=%E0%A4%A"),
        expected: [400],
      },
      {
        name: "form body sent as JSON",
        status: () => post({ ...JSON_TYPE, ...signed(form) }, form),
        expected: [400],
      },
      {
        name: "form body with a charset Slack never sends",
        status: () =>
          post({ "content-type": "application/x-www-form-urlencoded; charset=utf-8", ...signed(form) }, form),
        expected: [400],
      },
      {
        name: "binary body",
        status: () => {
          const bytes = randomBytes(512);
          return post({ "content-type": "application/octet-stream", ...signed(bytes.toString()) }, bytes);
        },
        expected: [400],
      },
      {
        // Parsed as a form, it has no fields Bolt knows: no listener runs and Bolt answers 404.
        name: "event JSON sent as a form",
        status: () => post({ ...FORM_TYPE, ...signed(body) }, body),
        expected: [404],
      },
    ];
    const statuses = await Promise.all(cases.map(async (c) => ({ name: c.name, status: await c.status() })));
    expect(statuses).toEqual(cases.map((c) => ({ name: c.name, status: expect.toBeOneOf(c.expected) })));

    // Nothing reached the core: no model request, no turn counted, nothing posted in Slack.
    expect(llm.requests).toHaveLength(0);
    expect(metricSum(await (await fetch(`${service.url}/metrics`)).text(), "chatbot_turns_total")).toBe(0);
    expect(slack.calls.filter((c) => c.method.startsWith("chat.")).map((c) => c.method)).toEqual([]);

    // The same mention, correctly signed, is answered: the refusals above were the signature's doing.
    const accepted = JSON.parse(body) as { event: { ts: string } };
    expect((await events.event(accepted)).status).toBe(200);
    await waitFor("the accepted mention to be answered", () => {
      const m = answersIn(slack, { channel: "C1", threadTs: accepted.event.ts })[0];
      return m && isFinal(slack, m);
    });
    expect(llm.requests).toHaveLength(1);
  });
});

// --- random requests ----------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY_STRINGS = [
  "",
  " ",
  "__proto__",
  "constructor",
  `<@${FAKE_BOT_USER_ID}>`,
  `<@${FAKE_BOT_USER_ID}> hello`,
  "\u0000",
  "\ud800",
  "💥".repeat(50),
  "x".repeat(9000),
  "../../etc/passwd",
  "'; DROP TABLE users; --",
  "%s%s%n",
  "{{7*7}}",
  "1e309",
  "C1",
  "U1",
  "T0FAKE",
  "message",
  "app_mention",
  "event_callback",
  "block_actions",
  "url_verification",
];
const NASTY_KEYS = [
  "type",
  "event",
  "payload",
  "text",
  "sessionId",
  "turnId",
  "channel",
  "user",
  "ts",
  "__proto__",
  "constructor",
  "command",
  "actions",
  "item",
  "challenge",
  "ssl_check",
];

class Fuzzer {
  constructor(readonly rnd: () => number) {}

  int(max: number): number {
    return Math.floor(this.rnd() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  string(): string {
    if (this.rnd() < 0.5) return this.pick(NASTY_STRINGS);
    return Array.from({ length: this.int(40) }, () => String.fromCharCode(this.int(0xffff))).join("");
  }

  json(depth = 0): unknown {
    const kind = this.int(depth > 3 ? 5 : 8);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return this.rnd() < 0.5;
      case 2:
        return this.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, this.int(1e9)]);
      case 3:
      case 4:
        return this.string();
      case 5:
        return Array.from({ length: this.int(5) }, () => this.json(depth + 1));
      default: {
        const obj: Record<string, unknown> = {};
        for (let i = this.int(6); i > 0; i--) {
          Object.defineProperty(obj, this.rnd() < 0.6 ? this.pick(NASTY_KEYS) : this.string(), {
            value: this.json(depth + 1),
            enumerable: true,
            configurable: true,
            writable: true,
          });
        }
        return obj;
      }
    }
  }

  /** A real mention envelope with one field replaced, deleted or retyped, somewhere inside. */
  mutatedEnvelope(): string {
    const envelope = JSON.parse(mentionBody(this.string())) as Record<string, unknown>;
    const event = envelope.event as Record<string, unknown>;
    for (let i = 1 + this.int(3); i > 0; i--) {
      const target = this.rnd() < 0.7 ? event : envelope;
      const key = this.pick(Object.keys(target));
      if (this.rnd() < 0.3) delete target[key];
      else target[key] = this.json(2);
    }
    return JSON.stringify(envelope);
  }

  body(): Buffer | string {
    const r = this.rnd();
    if (r < 0.2) return randomBytesFrom(this, this.int(2048));
    if (r < 0.3) return `${JSON.stringify(this.json()).slice(0, -1)}`;
    return JSON.stringify(this.json()) ?? "null";
  }

  contentType(): string | undefined {
    return this.pick([
      "application/json",
      "application/json",
      "application/x-www-form-urlencoded",
      "text/plain",
      "multipart/form-data; boundary=x",
      "application/json; charset=utf-16",
      undefined,
    ]);
  }
}

/** URL-encode any string, lone surrogates included (encodeURIComponent throws on those). */
function uri(text: string): string {
  return encodeURIComponent(text.replace(/[\ud800-\udfff]/g, "\ufffd"));
}

function randomBytesFrom(f: Fuzzer, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => f.int(256)));
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string;
  /** Long-lived responses (the chat's event stream): only the status is read. */
  stream?: boolean;
}

function randomRequest(f: Fuzzer): FuzzRequest {
  const ct = (): Record<string, string> => {
    const type = f.contentType();
    return type ? { "content-type": type } : {};
  };
  switch (f.int(8)) {
    case 0: {
      // Slack: unsigned random bodies.
      return { method: "POST", path: "/slack/events", headers: ct(), body: f.body() };
    }
    case 1: {
      // Slack: random bodies with a valid signature (only Slack could send these).
      const body =
        f.rnd() < 0.5 ? f.body() : new URLSearchParams({ payload: JSON.stringify(f.json()) }).toString();
      return {
        method: "POST",
        path: "/slack/events",
        headers: { ...ct(), ...signed(body.toString()) },
        body,
      };
    }
    case 2: {
      const body = f.mutatedEnvelope();
      return { method: "POST", path: "/slack/events", headers: { ...JSON_TYPE, ...signed(body) }, body };
    }
    case 3: {
      const body =
        f.rnd() < 0.5
          ? JSON.stringify({
              sessionId: f.pick([f.string(), fuzzSession]),
              text: f.json(),
              clientId: f.json(),
            })
          : f.body();
      const origin: Record<string, string> =
        f.rnd() < 0.2 ? { origin: f.pick(["https://evil.example", "null", uri(f.string())]) } : {};
      return { method: "POST", path: "/api/messages", headers: { ...ct(), ...origin }, body };
    }
    case 4: {
      const body = f.rnd() < 0.5 ? JSON.stringify({ sessionId: fuzzSession, turnId: f.json() }) : f.body();
      return { method: "POST", path: "/api/stop", headers: ct(), body };
    }
    case 5: {
      const session = uri(f.pick([f.string(), fuzzSession]));
      return {
        method: "GET",
        path: `/api/events?session=${session}&since=${uri(f.string())}`,
        headers: f.rnd() < 0.5 ? { "last-event-id": uri(f.string()) } : {},
        stream: true,
      };
    }
    case 6: {
      const path = f.pick(["/healthz", "/readyz", "/metrics", "/"]);
      return {
        method: "GET",
        path: `${path}?${uri(f.string())}=${uri(f.string())}`,
        headers: {},
      };
    }
    default: {
      // Wrong methods and unknown paths.
      const method = f.pick(["PUT", "DELETE", "PATCH", "GET", "POST", "OPTIONS"]);
      const path = f.pick(["/slack/events", "/api/messages", "/healthz", "/metrics", `/${uri(f.string())}`]);
      return {
        method,
        path,
        headers: ct(),
        ...(method === "GET" || method === "OPTIONS" ? {} : { body: f.body() }),
      };
    }
  }
}

async function send(req: FuzzRequest): Promise<number> {
  const controller = new AbortController();
  const res = await fetch(`${service.url}${req.path}`, {
    method: req.method,
    headers: req.headers,
    ...(req.body !== undefined ? { body: asBody(req.body) } : {}),
    signal: controller.signal,
  });
  if (req.stream && res.status === 200) controller.abort();
  else await res.arrayBuffer();
  return res.status;
}

describe("random requests to every endpoint", () => {
  it(`never crash the process, never get a 500 and log no unhandled error (seed ${SEED})`, async () => {
    const f = new Fuzzer(prng(SEED));
    const requests = Array.from({ length: RANDOM_REQUESTS }, () => randomRequest(f));
    const results: { req: FuzzRequest; status: number | string }[] = [];
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const req = requests[next++] as FuzzRequest;
        const status = await send(req).catch(
          (err: unknown) => `failed: ${String(err)} (${String((err as { cause?: unknown }).cause)})`,
        );
        results.push({ req, status });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    const bad = results.filter((r) => typeof r.status !== "number" || (r.status >= 500 && r.status !== 503));
    const shown = (r: { req: FuzzRequest; status: number | string }) =>
      `${r.req.method} ${r.req.path} ${JSON.stringify(r.req.headers)} ${String(r.req.body ?? "").slice(0, 300)} -> ${r.status}`;
    expect(bad.map(shown)).toEqual([]);
    expect(service.child.exitCode).toBeNull();
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
    // Let the turns some requests started end, then read the log.
    await waitFor("running answers to end", async () => {
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      return metricSum(metrics, "chatbot_active_streams") === 0 && llm.activeRequests === 0;
    });
    const alarming = service.lines.filter((l) =>
      /unhandled|uncaught|http handler failed|slack event processing failed|"level":60/i.test(l),
    );
    expect(alarming).toEqual([]);
  });
});
