/**
 * What goes to Redis beside a commit, by script (no server needed): the asker's index entry and
 * token count share a hash tag and a script, one command less per turn.
 */
import { describe, expect, it } from "vitest";
import { storeKeys } from "../../src/store/keys.js";
import { indexThreadCalls } from "../../src/store/redis/people.js";
import type { ScriptCommands } from "../../src/store/redis/scripts.js";

describe("a commit's writes beside the save", () => {
  // What goes to Redis with each commit, by script: one command less per turn when the asker's
  // index entry and token count (one hash tag) share a script.
  const sent = (
    people: Parameters<typeof indexThreadCalls>[3],
    spent?: { userKey: string; tokens: number },
  ) => {
    const calls: string[] = [];
    const scripts = new Proxy({} as ScriptCommands, {
      get:
        (_, name: string) =>
        (key: string, ...rest: unknown[]) => {
          calls.push(`${name} ${key}${name === "chatbotIndexThreadSpent" ? ` ${rest[0]}` : ""}`);
          return Promise.resolve(1);
        },
    });
    indexThreadCalls(scripts, storeKeys("p:"), "t1", people, 60_000, spent);
    return calls.map((c) => c.replace(/:\d{8}$/, ":<day>"));
  };

  it("counts the asker's tokens in the script of their own index entry", () => {
    expect(
      sent(
        { userKeys: ["u0", "u1"], audience: "shared", workspace: "slack:T1" },
        { userKey: "u1", tokens: 41.2 },
      ),
    ).toEqual([
      "chatbotIndexThread p:{u0}:threads",
      "chatbotIndexThread p:{ws:slack:T1}:people",
      "chatbotIndexThreadSpent p:{u1}:threads p:{u1}:tokens:<day>",
      "chatbotIndexThread p:{ws:slack:T1}:people",
    ]);
  });

  it("counts them on their own when the asker is not among the people, and not at all when nothing was spent", () => {
    expect(sent(undefined, { userKey: "u1", tokens: 5 })).toEqual(["chatbotAddTokens p:{u1}:tokens:<day>"]);
    expect(sent({ userKeys: ["u0"], audience: "private" }, { userKey: "u1", tokens: 5 })).toEqual([
      "chatbotIndexThread p:{u0}:threads",
      "chatbotAddTokens p:{u1}:tokens:<day>",
    ]);
    expect(sent({ userKeys: ["u1"], audience: "private" }, { userKey: "u1", tokens: 0 })).toEqual([
      "chatbotIndexThread p:{u1}:threads",
    ]);
  });
});
