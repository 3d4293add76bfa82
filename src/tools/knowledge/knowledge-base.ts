/**
 * The help center as the service sees it: indexes the folder in the background at start-up
 * (the service answers meanwhile; /readyz reports "indexing"), again whenever files change, and
 * answers searches from the latest complete index. With an Embedder, passages and questions are
 * embedded (through the cache) and rankings fused; if the embeddings server fails, search falls
 * back to BM25 alone and says so in the log, never to the user.
 */
import { fileURLToPath } from "node:url";
import type { Logger } from "../../log.js";
import { Lru } from "../../lru.js";
import type { Passage } from "./article.js";
import { CachedEmbedder, type Embedder } from "./embeddings.js";
import { loadArticles } from "./loader.js";
import { PassageIndex, type SearchHit } from "./passage-index.js";
import { watchFolder } from "./watch.js";

/** The sample help center shipped with the service (used when KNOWLEDGE_DIR is unset). */
export const BUNDLED_HELP_CENTER = fileURLToPath(new URL("./help-center/", import.meta.url));

/** Quiet time after the last file event before re-indexing: an editor's save is several events. */
export const WATCH_DEBOUNCE_MS = 300;
/**
 * Question vectors kept in this process (least recently used dropped first). Questions are not put in
 * the store's vector cache: every distinct question would stay there for EMBEDDINGS_CACHE_TTL_S
 * (30 days), growing Redis without bound under the one `{vectors}` hash slot.
 */
export const QUESTION_VECTORS_KEPT = 256;

export type KnowledgeState = "indexing" | "ready" | "failed";

export interface IndexSummary {
  articles: number;
  passages: number;
  skipped: { path: string; reason: string }[];
  ranking: "bm25" | "fused";
  ms: number;
}

export class KnowledgeUnavailableError extends Error {
  constructor(readonly state: "indexing" | "failed") {
    super(
      state === "indexing"
        ? "the help center is still being indexed"
        : "the help center could not be indexed",
    );
    this.name = "KnowledgeUnavailableError";
  }
}

export interface KnowledgeBaseOptions {
  dir: string;
  log: Logger;
  embedder?: Embedder | undefined;
  /** Re-index when files change (default true). */
  watch?: boolean;
  debounceMs?: number;
}

export class KnowledgeBase {
  private index: PassageIndex | null = null;
  private failed = false;
  private running: Promise<IndexSummary | null> | null = null;
  private again = false;
  private stopWatching: (() => void) | null = null;
  private readonly listeners = new Set<(summary: IndexSummary) => void>();
  /** Recent question vectors by question text (a small LRU). */
  private readonly questionVectors = new Lru<string, Float32Array>(QUESTION_VECTORS_KEPT);
  private readonly log: Logger;

  constructor(private readonly opts: KnowledgeBaseOptions) {
    this.log = opts.log.child({ component: "knowledge" });
  }

  /** "indexing" until the first index is built; "ready" from then on, even while re-indexing. */
  get state(): KnowledgeState {
    if (this.index) return "ready";
    return this.failed ? "failed" : "indexing";
  }

  get dir(): string {
    return this.opts.dir;
  }

  /** Start indexing in the background and watching the folder. Returns at once. */
  start(): void {
    if (this.opts.watch ?? true) {
      this.stopWatching = watchFolder(this.opts.dir, {
        debounceMs: this.opts.debounceMs ?? WATCH_DEBOUNCE_MS,
        log: this.log,
        onChange: () => void this.reindex(),
      });
    }
    void this.reindex();
  }

  stop(): void {
    this.stopWatching?.();
    this.stopWatching = null;
  }

  /** Called after every completed (re-)index. Returns an unsubscribe function. */
  onIndexed(listener: (summary: IndexSummary) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Build a new index from the folder and swap it in. Calls during a build run once more after
   * it (one extra build, however many events arrived). Resolves to null if the folder could not
   * be read; the previous index, if any, keeps serving.
   */
  reindex(): Promise<IndexSummary | null> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let summary: IndexSummary | null = null;
      try {
        do {
          this.again = false;
          summary = await this.build();
        } while (this.again);
      } catch (err) {
        // Never a rejection: start() and the watcher fire and forget, and one unexpected error
        // must neither end the process nor leave `running` set (no re-index ever again).
        this.log.error(
          { err: describe(err) },
          "help center indexing failed; the previous index keeps serving",
        );
        this.failed = this.index === null;
      } finally {
        this.running = null;
      }
      return summary;
    })();
    return this.running;
  }

  /** Best passages for a question, covered ones only. Throws KnowledgeUnavailableError before the first index. */
  async search(question: string, limit: number, signal?: AbortSignal): Promise<SearchHit[]> {
    const index = this.index;
    if (!index) throw new KnowledgeUnavailableError(this.failed ? "failed" : "indexing");
    let queryVector: Float32Array | undefined;
    if (this.opts.embedder && index.hasVectors) {
      try {
        queryVector = await this.questionVector(this.opts.embedder, question, signal);
      } catch (err) {
        if (signal?.aborted) throw err;
        this.log.warn({ err: describe(err) }, "question embedding failed, ranking with BM25 only");
      }
    }
    return index.query(question, { limit, queryVector });
  }

  private async questionVector(
    embedder: Embedder,
    question: string,
    signal: AbortSignal | undefined,
  ): Promise<Float32Array | undefined> {
    const known = this.questionVectors.get(question);
    if (known) return known;
    const server = embedder instanceof CachedEmbedder ? embedder.uncached : embedder;
    const vector = (await server.embed([question], signal))[0];
    if (!vector) return undefined;
    this.questionVectors.set(question, vector);
    return vector;
  }

  private async build(): Promise<IndexSummary | null> {
    const started = performance.now();
    let loaded: Awaited<ReturnType<typeof loadArticles>>;
    try {
      loaded = await loadArticles(this.opts.dir);
    } catch (err) {
      this.failed = this.index === null;
      this.log.error({ dir: this.opts.dir, err: describe(err) }, "cannot read the knowledge folder");
      return null;
    }
    for (const s of loaded.skipped) this.log.warn({ file: s.path, reason: s.reason }, "help article skipped");
    const index = await PassageIndex.build(loaded.articles);
    let ranking: IndexSummary["ranking"] = "bm25";
    if (this.opts.embedder && index.passages.length > 0) {
      try {
        const texts = index.passages.map(embeddingText);
        index.setVectors(await this.opts.embedder.embed(texts));
        ranking = "fused";
      } catch (err) {
        this.log.warn(
          { err: describe(err) },
          "passage embeddings failed, ranking with BM25 only until the next re-index",
        );
      }
    }
    this.index = index;
    this.failed = false;
    const summary: IndexSummary = {
      articles: index.articleCount,
      passages: index.passages.length,
      skipped: loaded.skipped,
      ranking,
      ms: Math.round(performance.now() - started),
    };
    this.log.info(
      {
        articles: summary.articles,
        passages: summary.passages,
        skipped: summary.skipped.length,
        ranking,
        ms: summary.ms,
      },
      "help center indexed",
    );
    for (const listener of this.listeners) {
      try {
        listener(summary);
      } catch (err) {
        this.log.error({ err: describe(err) }, "help center index listener failed");
      }
    }
    return summary;
  }
}

/** What is embedded for a passage: the text with its title and headings, as a reader sees it. */
export function embeddingText(p: Passage): string {
  return [p.title, ...p.headings, p.text].join("\n");
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
