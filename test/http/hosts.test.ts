import { describe, expect, it } from "vitest";
import { createHostChecks } from "../../src/http/hosts.js";

describe("Host allow-list", () => {
  const { browser, operator } = createHostChecks(["devbox.lan"]);

  it("lets browsers in only by the loopback names and the configured ones, on any port", () => {
    for (const host of [
      "localhost",
      "localhost:3000",
      "127.0.0.1:8080",
      "[::1]:3000",
      "LOCALHOST",
      "devbox.lan:3000",
    ]) {
      expect(browser(host), host).toBe(true);
    }
  });

  it("refuses rebinding names, look-alikes and malformed Host headers", () => {
    const refused = [
      "attacker.example",
      "127.0.0.1.attacker.example",
      "localhost.attacker.example:3000",
      "attacker.example@127.0.0.1",
      "localhost.",
      "devbox.lan.evil",
      "localhost:3000:3000",
      "",
      " ",
      undefined,
      "10.0.0.5:3000",
    ];
    for (const host of refused) expect(browser(host), String(host)).toBe(false);
  });

  it("lets operator routes also answer to any IP address (probes use the pod IP), never to other names", () => {
    expect(operator("10.0.0.5:3000")).toBe(true);
    expect(operator("[fd00::5]:3000")).toBe(true);
    expect(operator("localhost:3000")).toBe(true);
    expect(operator("attacker.example:3000")).toBe(false);
    expect(operator("10.0.0.5.nip.io")).toBe(false);
  });
});
