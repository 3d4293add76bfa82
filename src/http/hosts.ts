/**
 * The Host allow-list against DNS rebinding. A web page on an attacker's domain can make its own
 * name resolve to 127.0.0.1 (or a pod's address) and then talk to this server as if same-origin:
 * the Origin check passes, because Origin and Host both carry the attacker's name. The one thing
 * such a request cannot hide is that name, so browser-facing routes answer only to host names
 * this service is known by: the loopback names plus WEB_ALLOWED_HOSTS.
 *
 * Operator routes (/healthz, /readyz, /metrics) also answer to any IP literal: probes and
 * scrapers address a pod by its IP, and a rebinding browser always sends a DNS name, never an IP.
 * Ports are ignored: the same name on another port is the same host.
 */
import { isIP } from "node:net";

/** Names every local browser uses for this machine. */
export const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"] as const;

/** Decides from a request's Host header whether the route may answer. */
export type HostCheck = (hostHeader: string | undefined) => boolean;

/** A host name as WEB_ALLOWED_HOSTS takes it: a DNS name, an IPv4 address or a bracketed IPv6 one. */
export const HOST_NAME_PATTERN =
  /^(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*)$/;

/** The lower-cased host name of a Host header (`name[:port]`, `[v6][:port]`); undefined if malformed. */
export function hostNameOf(hostHeader: string | undefined): string | undefined {
  if (hostHeader === undefined) return undefined;
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+)(?::\d{1,5})?$/.exec(hostHeader.trim());
  const name = match?.[1]?.toLowerCase();
  return name !== undefined && HOST_NAME_PATTERN.test(name) ? name : undefined;
}

function isIpLiteral(name: string): boolean {
  return isIP(name.replace(/^\[(.*)\]$/, "$1")) !== 0;
}

export interface HostChecks {
  /** Browser-facing routes: the loopback names and the configured ones only. */
  browser: HostCheck;
  /** Operator routes: those, plus any IP literal. */
  operator: HostCheck;
}

export function createHostChecks(allowedHosts: readonly string[]): HostChecks {
  const allowed = new Set<string>([...LOOPBACK_HOSTS, ...allowedHosts.map((h) => h.toLowerCase())]);
  const browser: HostCheck = (header) => {
    const name = hostNameOf(header);
    return name !== undefined && allowed.has(name);
  };
  const operator: HostCheck = (header) => {
    const name = hostNameOf(header);
    return name !== undefined && (allowed.has(name) || isIpLiteral(name));
  };
  return { browser, operator };
}
