/**
 * An admin's `/assistant off` is stored in Redis: two service processes share it (the one that
 * did not take the command stops answering in that channel at once, as it had not cached the
 * channel yet) and a process started later still sees it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { slashCommand } from "../fakes/slack-events.js";
import { requires } from "../support/binaries.js";
import {
  answersIn,
  deliver,
  isFinal,
  postMention,
  type Replica,
  type ReplicaSet,
  startReplicaSet,
  waitFor,
} from "../support/replicas.js";

let set: ReplicaSet;
let a: Replica;
let b: Replica;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "chatbot-policy-"));
  const path = join(dir, "policy.yaml");
  writeFileSync(path, "platforms:\n  slack:\n    admins: [UBOSS]\n");
  set = await startReplicaSet({
    replicas: 2,
    channels: ["C1", "C2"],
    users: ["U1", "UBOSS"],
    env: { POLICY_FILE: path },
  });
  [a, b] = set.replicas as [Replica, Replica];
});

afterAll(async () => {
  await set?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function assistant(to: Replica, user: string, text = ""): Promise<string> {
  const ack = await to.slack.command(
    slashCommand({ fake: set.slack, channel: "C1", user, text, command: "/assistant" }),
  );
  expect(ack.status).toBe(200);
  return (JSON.parse(ack.body) as { text: string }).text;
}

describe("the channel switch across processes", requires("redis"), () => {
  it("is taken from one replica and obeyed by the other and by a replica started later", async () => {
    expect(await assistant(a, "UBOSS", "off")).toMatch(/now \*off\*/);

    const silenced = postMention(set.slack, "C1", "U1", "is anyone there?");
    await deliver(silenced, [b]);
    const elsewhere = postMention(set.slack, "C2", "U1", "is anyone there?");
    await deliver(elsewhere, [b]);
    await waitFor("the answer in C2", () =>
      answersIn(set.slack, elsewhere).find((m) => isFinal(set.slack, m)),
    );
    expect(await assistant(b, "U1")).toContain("Answers here: no (switched off by an admin)");
    expect(answersIn(set.slack, silenced)).toEqual([]);

    const later = await set.startReplica();
    expect(await assistant(later, "U1")).toContain("Answers here: no (switched off by an admin)");
    expect(answersIn(set.slack, silenced)).toEqual([]);
  });
});
