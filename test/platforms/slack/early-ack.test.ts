import { request } from "node:http";
import type { App } from "@slack/bolt";
import { afterEach, describe, expect, it } from "vitest";
import { HttpServer } from "../../../src/http/server.js";
import { silentLogger } from "../../../src/log.js";
import { AckFirst } from "../../../src/platforms/slack/ack-first.js";
import { boltLogger } from "../../../src/platforms/slack/api.js";
import { SLACK_EVENTS_PATH, SlackHttpReceiver } from "../../../src/platforms/slack/http-receiver.js";
import { eventEnvelope, FAKE_SIGNING_SECRET, HttpDelivery, mentionEvents } from "../../fakes/slack-events.js";

/** A stand-in for Bolt that records what it was handed and never acknowledges anything itself. */
class SilentBolt {
  readonly events: { type: unknown }[] = [];
  processEvent(event: { body: Record<string, unknown> }): Promise<void> {
    this.events.push({ type: event.body.type });
    return new Promise(() => {}); // a listener that never finishes
  }
}

describe("Slack Events API acknowledgements", () => {
  const log = silentLogger();
  let http: HttpServer | undefined;
  let receiver: SlackHttpReceiver | undefined;

  afterEach(async () => {
    await receiver?.stop().catch(() => {});
    await http?.close();
    http = undefined;
    receiver = undefined;
  });

  async function start(acks?: AckFirst) {
    http = new HttpServer(log);
    receiver = new SlackHttpReceiver({
      http,
      signingSecret: FAKE_SIGNING_SECRET,
      log,
      boltLogger: boltLogger(log),
      ...(acks ? { acks } : {}),
    });
    const bolt = new SilentBolt();
    receiver.init(bolt as unknown as App);
    await receiver.start();
    const port = await http.listen(0, "127.0.0.1");
    return { bolt, port, delivery: new HttpDelivery(`http://127.0.0.1:${port}${SLACK_EVENTS_PATH}`) };
  }

  it("acknowledges a mention at once, whatever its listener is doing, and still hands it over", async () => {
    const { bolt, delivery } = await start(new AckFirst());
    const mention = mentionEvents({ channel: "C1", user: "U1", text: "<@U0BOT> hi", ts: "1.000001" });
    const res = await delivery.event(eventEnvelope(mention.appMention));
    expect(res.status).toBe(200);
    await expect.poll(() => bolt.events.length).toBe(1);
    expect(bolt.events[0]?.type).toBe("event_callback");
  });

  it("hands a burst's events to their listeners only once every ack of the burst is out", async () => {
    const { bolt, delivery, port } = await start(new AckFirst());
    // A request still being read (a slow upload) keeps the burst open.
    const slow = request(`http://127.0.0.1:${port}${SLACK_EVENTS_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": "1000" },
    });
    slow.on("error", () => {});
    const seen = new Promise((resolve) => http?.server.once("request", resolve));
    slow.write("{");
    await seen;
    const statuses = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        delivery
          .event(
            eventEnvelope(
              mentionEvents({ channel: `C${i}`, user: "U1", text: "<@U0BOT> hi", ts: `1.00000${i}` })
                .appMention,
            ),
          )
          .then((r) => r.status),
      ),
    );
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(bolt.events).toHaveLength(0);
    slow.destroy();
    await expect.poll(() => bolt.events.length).toBe(5);
  });
});
