/**
 * The fake Slack in its own process (for the benchmark, so the fake's CPU is not counted as the
 * adapter's). Options come as one JSON argument; the base URL is printed on the first line.
 * `GET /_dump` returns everything recorded.
 */
import { FakeSlack, type FakeSlackOptions } from "./slack-api.js";

const opts = JSON.parse(process.argv[2] ?? "{}") as FakeSlackOptions & { channels?: number };
const fake = new FakeSlack(opts);
for (let i = 0; i < (opts.channels ?? 0); i++) {
  fake.addChannel({ id: `C${i}`, name: `support-${i}` });
  fake.addUser({ id: `U${i}`, name: `user${i}`, realName: `User ${i}` });
}
await fake.start();
process.stdout.write(`${fake.url}\n`);
process.on("SIGTERM", () => {
  fake.close().finally(() => process.exit(0));
});
