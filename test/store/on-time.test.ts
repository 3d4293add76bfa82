import { describe, expect, it } from "vitest";
import { onTime } from "./on-time.js";

describe("onTime (real-time store tests)", () => {
  it("runs a scenario again when a step was late, and passes when a later run is on time", async () => {
    let runs = 0;
    await onTime(async (inTime) => {
      runs++;
      inTime(runs === 1 ? Date.now() - 1 : Date.now() + 60_000);
    });
    expect(runs).toBe(2);
  });

  it("fails, saying so, when every run was late", async () => {
    let runs = 0;
    await expect(
      onTime(async (inTime) => {
        runs++;
        inTime(Date.now() - 5);
      }),
    ).rejects.toThrow(/too busy to run this on time 3 times/);
    expect(runs).toBe(3);
  });

  it("fails at once on a failed assertion, without running again", async () => {
    let runs = 0;
    await expect(
      onTime(async () => {
        runs++;
        expect(1).toBe(2);
      }),
    ).rejects.toThrow();
    expect(runs).toBe(1);
  });
});
