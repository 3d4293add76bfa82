import { describe, expect, it } from "vitest";
import { clientKeyOf } from "../../src/http/client-address.js";

describe("the client a connection is counted against (HTTP_MAX_CONNECTIONS_PER_IP)", () => {
  it("is one client for every source address an IPv6 host can pick in its /64", () => {
    const key = clientKeyOf("2001:db8:aa:bb:1111:2222:3333:4444");
    for (const other of [
      "2001:db8:aa:bb::1",
      "2001:0db8:00aa:00bb:ffff:ffff:ffff:fffe",
      "2001:DB8:AA:BB::9%eth0",
    ]) {
      expect(clientKeyOf(other)).toBe(key);
    }
    expect(clientKeyOf("2001:db8:aa:bc::1")).not.toBe(key);
  });

  it("is the IPv4 address itself, also as a dual-stack socket reports it", () => {
    expect(clientKeyOf("::ffff:192.0.2.7")).toBe("192.0.2.7");
    expect(clientKeyOf("192.0.2.8")).not.toBe(clientKeyOf("192.0.2.7"));
  });
});
