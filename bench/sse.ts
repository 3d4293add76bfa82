/**
 * `npm run bench -- sse`: CPU per streamed chunk of the SSE reader we keep by hand
 * (src/llm/sse-reader.ts) against the OpenAI SDK's own stream iterator, on the same bytes: answers
 * of 200 chat-completion chunks, one chunk per network read as a model sends them. In-process, no
 * sockets, so the figure is parsing alone.
 */
import OpenAI from "openai";
import { Stream } from "openai/streaming";
import { SseParser } from "../src/llm/sse-reader.js";

const CHUNKS_PER_ANSWER = 200;
const ANSWERS = 1_000;
const encoder = new TextEncoder();

function chunkBytes(): Uint8Array[] {
  const reads: Uint8Array[] = [];
  for (let i = 0; i < CHUNKS_PER_ANSWER; i++) {
    const chunk = {
      id: "chatcmpl-bench",
      object: "chat.completion.chunk",
      created: 1_700_000_000,
      model: "gpt-4o-mini",
      choices: [{ index: 0, delta: { content: `word${i} ` }, finish_reason: null }],
    };
    reads.push(encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`));
  }
  reads.push(encoder.encode("data: [DONE]\n\n"));
  return reads;
}

function body(reads: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      const next = reads[i++];
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

async function viaSdk(reads: Uint8Array[], client: OpenAI): Promise<number> {
  const response = new Response(body(reads), { headers: { "content-type": "text/event-stream" } });
  let n = 0;
  for await (const _ of Stream.fromSSEResponse(response, new AbortController(), client)) n++;
  return n;
}

/** As the model adapter reads: each network read taken from the body and parsed in the same step. */
async function viaOurReader(reads: Uint8Array[]): Promise<number> {
  const parser = new SseParser(new Headers());
  const events: unknown[] = [];
  const reader = body(reads).getReader();
  let n = 0;
  for (let more = true; more; ) {
    more = parser.take(await reader.read(), events);
    n += events.length;
  }
  return n;
}

async function measure(run: () => Promise<number>): Promise<number> {
  for (let i = 0; i < 100; i++) await run(); // warm-up
  const cpu = process.cpuUsage();
  let chunks = 0;
  for (let i = 0; i < ANSWERS; i++) chunks += await run();
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / chunks; // µs of CPU per chunk
}

export async function runSseBench(): Promise<Record<string, unknown>> {
  const reads = chunkBytes();
  const client = new OpenAI({ apiKey: "bench", baseURL: "http://127.0.0.1:9/v1" });
  // Alternate and repeat, so a busy machine affects both alike; report the best of three.
  const sdk: number[] = [];
  const ours: number[] = [];
  for (let round = 0; round < 3; round++) {
    sdk.push(await measure(() => viaSdk(reads, client)));
    ours.push(await measure(() => viaOurReader(reads)));
  }
  const result = {
    chunksPerAnswer: CHUNKS_PER_ANSWER,
    answers: ANSWERS,
    sdkMicrosPerChunk: Number(Math.min(...sdk).toFixed(2)),
    oursMicrosPerChunk: Number(Math.min(...ours).toFixed(2)),
  };
  console.log(
    `SSE parsing, CPU per chunk (best of 3 x ${ANSWERS} answers of ${CHUNKS_PER_ANSWER} chunks): ` +
      `SDK iterator ${result.sdkMicrosPerChunk} µs, our reader ${result.oursMicrosPerChunk} µs`,
  );
  return result;
}
