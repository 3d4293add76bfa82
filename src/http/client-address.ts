/**
 * Who a connection comes from, for limits that count per client. An IPv4 client of a dual-stack
 * socket shows as `::ffff:a.b.c.d` and is that IPv4 address. An IPv6 client is its /64: one
 * machine (privacy extensions) or one home network gets a whole /64 and may pick a fresh source
 * address in it for every connection.
 */
import { isIPv6 } from "node:net";

export function clientKeyOf(remoteAddress: string | undefined): string {
  const address = (remoteAddress ?? "unknown").replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");
  return isIPv6(address) ? ipv6Slash64(address) : address;
}

/** `a:b:c:d::/64` of an IPv6 address (hex groups without leading zeros, zone id dropped). */
function ipv6Slash64(address: string): string {
  const [head = "", tail] = (address.split("%")[0] ?? "").split("::");
  const groups = (part: string | undefined): string[] =>
    part ? part.split(":").flatMap((g) => (g.includes(".") ? ipv4Groups(g) : [g])) : [];
  const left = groups(head);
  const right = groups(tail);
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill("0");
  return `${[...left, ...zeros, ...right]
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(":")}::/64`;
}

/** The two hex groups of a dotted IPv4 tail (`64:ff9b::1.2.3.4`). */
function ipv4Groups(dotted: string): string[] {
  const [a = 0, b = 0, c = 0, d = 0] = dotted.split(".").map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}
