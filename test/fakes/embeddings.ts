/**
 * A local OpenAI-compatible embeddings server: `POST /embeddings` (and `/v1/embeddings`) with
 * `{model, input: string[]}` answers `{data: [{index, embedding}]}`. Vectors are deterministic:
 * word stems and character trigrams hashed into DIMENSIONS buckets, so texts that share words
 * are close. Not semantic like a real model, but real wire format, real vectors, and a record of
 * every input it was asked to embed (to tell cache hits from paid requests).
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { searchTerms } from "../../src/tools/knowledge/text.js";

export const DIMENSIONS = 256;

export interface FakeEmbeddings {
  /** Base URL to use as OPENAI_BASE_URL. */
  url: string;
  /** Every text embedded so far, in order. */
  inputs: string[];
  requests: number;
  /** Answer the next requests with this HTTP status instead (null: answer normally). */
  failWith: number | null;
  close(): Promise<void>;
}

export function fakeEmbedding(text: string): number[] {
  const v = new Array<number>(DIMENSIONS).fill(0);
  const add = (feature: string, weight: number) => {
    const h = createHash("md5").update(feature).digest();
    const bucket = h.readUInt16LE(0) % DIMENSIONS;
    v[bucket] = (v[bucket] ?? 0) + (h[2]! & 1 ? weight : -weight);
  };
  for (const term of searchTerms(text)) {
    add(`w:${term}`, 1);
    for (let i = 0; i + 3 <= term.length; i++) add(`t:${term.slice(i, i + 3)}`, 0.3);
  }
  return v;
}

export async function startFakeEmbeddings(): Promise<FakeEmbeddings> {
  const state = { inputs: [] as string[], requests: 0, failWith: null as number | null };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method !== "POST" || !/^(?:\/v1)?\/embeddings$/.test(req.url ?? "")) {
        res.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"not found"}}');
        return;
      }
      state.requests++;
      if (state.failWith !== null) {
        res.writeHead(state.failWith, { "content-type": "application/json" });
        res.end('{"error":{"message":"fake failure"}}');
        return;
      }
      let body: { model?: unknown; input?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        res.writeHead(400, { "content-type": "application/json" }).end('{"error":{"message":"bad json"}}');
        return;
      }
      const input = typeof body.input === "string" ? [body.input] : body.input;
      if (
        typeof body.model !== "string" ||
        !Array.isArray(input) ||
        input.some((i) => typeof i !== "string")
      ) {
        res.writeHead(400, { "content-type": "application/json" }).end('{"error":{"message":"bad request"}}');
        return;
      }
      state.inputs.push(...(input as string[]));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          object: "list",
          model: body.model,
          data: (input as string[]).map((text, index) => ({
            object: "embedding",
            index,
            embedding: fakeEmbedding(text),
          })),
          usage: { prompt_tokens: 0, total_tokens: 0 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get inputs() {
      return state.inputs;
    },
    get requests() {
      return state.requests;
    },
    get failWith() {
      return state.failWith;
    },
    set failWith(v: number | null) {
      state.failWith = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
