/**
 * Embeddings from any OpenAI-compatible server (`POST {baseURL}/embeddings`), cached by content
 * hash in the store's VectorCache: a restart, a re-index after one file changed, or a second
 * replica pays only for text it has never seen. Vectors are scaled to unit length on arrival.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import type { VectorCache } from "../../core/ports.js";
import { deadlineSignal } from "../../core/timers.js";
import type { FetchLike } from "../http.js";
import { unitVector } from "./passage-index.js";

/** Inputs per request: well under OpenAI's 2,048 and small enough for local servers. */
const BATCH_SIZE = 64;
/** One embeddings request may take this long (a batch of 64 passages on a slow local server). */
const REQUEST_TIMEOUT_MS = 30_000;

export interface Embedder {
  readonly model: string;
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

const responseSchema = z.object({
  data: z.array(z.object({ index: z.number().int().nonnegative(), embedding: z.array(z.number()).min(1) })),
});

export class EmbeddingsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EmbeddingsError";
  }
}

export class OpenAIEmbeddings implements Embedder {
  constructor(
    private readonly opts: { baseURL: string; apiKey: string | undefined; model: string; fetch?: FetchLike },
  ) {}

  get model(): string {
    return this.opts.model;
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let at = 0; at < texts.length; at += BATCH_SIZE) {
      out.push(...(await this.request(texts.slice(at, at + BATCH_SIZE), signal)));
    }
    return out;
  }

  private async request(input: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const url = `${this.opts.baseURL.replace(/\/+$/, "")}/embeddings`;
    // The whole exchange (headers and body) has the time limit, and the caller's Stop.
    const limit = deadlineSignal(signal, REQUEST_TIMEOUT_MS);
    try {
      return await this.exchange(url, input, limit.signal);
    } finally {
      limit.clear();
    }
  }

  private async exchange(url: string, input: string[], signal: AbortSignal): Promise<Float32Array[]> {
    let res: Response;
    try {
      res = await (this.opts.fetch ?? fetch)(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
        },
        body: JSON.stringify({ model: this.opts.model, input, encoding_format: "float" }),
        signal,
      });
    } catch (err) {
      throw new EmbeddingsError(`embeddings request failed: ${err instanceof Error ? err.message : err}`, {
        cause: err,
      });
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new EmbeddingsError(`embeddings server answered HTTP ${res.status}`);
    }
    const parsed = responseSchema.safeParse(await res.json().catch(() => null));
    if (!parsed.success || parsed.data.data.length !== input.length) {
      throw new EmbeddingsError("embeddings server sent an unexpected answer");
    }
    const vectors: Float32Array[] = new Array(input.length);
    for (const item of parsed.data.data) {
      if (item.index >= input.length)
        throw new EmbeddingsError("embeddings server sent an unexpected answer");
      vectors[item.index] = unitVector(item.embedding);
    }
    return vectors;
  }
}

export interface CacheStats {
  hits: number;
  misses: number;
}

/** An Embedder that asks the cache first and the server only for texts it has not seen. */
export class CachedEmbedder implements Embedder {
  readonly stats: CacheStats = { hits: 0, misses: 0 };

  constructor(
    private readonly inner: Embedder,
    private readonly cache: VectorCache,
    private readonly ttlMs: number,
  ) {}

  get model(): string {
    return this.inner.model;
  }

  /** The server without the store cache (for one-off texts such as a customer's question). */
  get uncached(): Embedder {
    return this.inner;
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const keys = texts.map((t) => contentKey(this.inner.model, t));
    const cached = await this.cache.getMany(keys);
    const missing = cached.flatMap((v, i) => (v === null ? [i] : []));
    this.stats.hits += texts.length - missing.length;
    this.stats.misses += missing.length;
    if (missing.length > 0) {
      const fresh = await this.inner.embed(
        missing.map((i) => texts[i]!),
        signal,
      );
      missing.forEach((i, j) => {
        cached[i] = fresh[j]!;
      });
      await this.cache.setMany(
        missing.map((i, j) => ({ key: keys[i]!, vector: fresh[j]! })),
        this.ttlMs,
      );
    }
    return cached as Float32Array[];
  }
}

/** The cache key of a text: model and content, hashed (the same text under another model is another vector). */
export function contentKey(model: string, text: string): string {
  return createHash("sha256").update(model).update("\0").update(text).digest("hex");
}
