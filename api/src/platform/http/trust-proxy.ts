import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/** Widest range a TRUST_PROXY entry may name: IPv4 /8, IPv6 /16. */
const MIN_IPV4_PREFIX = 8;
const MIN_IPV6_PREFIX = 16;
/** ::ffff:0:0/96, where IPv4 clients appear on a dual-stack socket. */
const IPV4_MAPPED = ipaddr.IPv6.parse("::ffff:0:0");

export type TrustProxyResult = { ok: true; value: false | string[] } | { ok: false; message: string };

/** The IPv4 prefix an entry stands for, or undefined when it names no IPv4 client. */
function ipv4Prefix(address: ipaddr.IPv4 | ipaddr.IPv6, prefix: number): number | undefined {
  if (address.kind() === "ipv4") return prefix;
  // Express matches an IPv4 client against an IPv6 range in its mapped form (::ffff:a.b.c.d),
  // so a range covering mapped addresses trusts IPv4 clients, however it is written.
  if (prefix <= 96) return IPV4_MAPPED.match(address as ipaddr.IPv6, prefix) ? 0 : undefined;
  return (address as ipaddr.IPv6).isIPv4MappedAddress() ? prefix - 96 : undefined;
}

function checkEntry(entry: string): string | undefined {
  const [host = "", bits, ...rest] = entry.split("/");
  if (rest.length > 0 || isIP(host) === 0) return "each entry must be an IP address or CIDR";
  const address = ipaddr.parse(host);
  const max = address.kind() === "ipv4" ? 32 : 128;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return "each entry must be an IP address or CIDR";
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) return "each entry must be an IP address or CIDR";
  const v4 = ipv4Prefix(address, prefix);
  if (v4 !== undefined && v4 < MIN_IPV4_PREFIX) return "an entry wider than an IPv4 /8 is refused: it would trust client-written X-Forwarded-For";
  if (address.kind() === "ipv6" && prefix < MIN_IPV6_PREFIX) return "an entry wider than an IPv6 /16 is refused: it would trust client-written X-Forwarded-For";
  return undefined;
}

/**
 * Parses TRUST_PROXY: `false`, or the load balancer's addresses/CIDRs, comma-separated.
 * `true` and hop counts are refused: both believe whoever connects directly (a published
 * port, a neighbour container), who can then write its own X-Forwarded-For. The result is a
 * list Express's `trust proxy` compiles once when the app is built.
 */
export function parseTrustProxy(raw: string): TrustProxyResult {
  const value = raw.trim();
  if (value === "" || value === "false") return { ok: true, value: false };
  if (value === "true") return { ok: false, message: "true is refused: it would trust client-written X-Forwarded-For; list the load balancer's addresses" };
  if (/^\d+$/.test(value)) return { ok: false, message: "a hop count is refused: it trusts whoever connects directly; list the load balancer's addresses" };
  const entries = value.split(",").map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) return { ok: false, message: "must be false or a list of addresses/CIDRs" };
  for (const entry of entries) {
    const problem = checkEntry(entry);
    if (problem) return { ok: false, message: problem };
  }
  return { ok: true, value: entries };
}
