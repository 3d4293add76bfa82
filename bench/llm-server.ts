/**
 * The fake LLM of the benchmark, in its own process so its memory and CPU are not counted as
 * the service's. Options come as one JSON argument; prints the base URL on its first line.
 */
import { startDemoLlmServer } from "../src/llm/demo/server.js";

const opts = JSON.parse(process.argv[2] ?? "{}") as Parameters<typeof startDemoLlmServer>[0];
// Nothing reads the requests of a server in another process: it keeps none.
const server = await startDemoLlmServer({ keepRequests: 0, ...opts });
process.stdout.write(`${server.url}\n`);
process.on("SIGTERM", () => {
  server.close().finally(() => process.exit(0));
});
