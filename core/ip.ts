/**
 * Parses IP addresses and CIDR prefixes as they appear in CNI results, with the syntax Go's
 * `net.ParseIP` and `net.ParseCIDR` accept (no zones, no leading zeros in IPv4 parts).
 *
 * @example Usage
 * ```ts
 * import { parseCidr } from "./ip.ts";
 *
 * parseCidr("10.1.0.5/16")?.family; // 4
 * ```
 *
 * @module
 */

/**
 * A parsed IP address.
 *
 * @example Usage
 * ```ts
 * import type { IpAddress } from "./ip.ts";
 *
 * const loopback: IpAddress = { family: 4, bytes: new Uint8Array([127, 0, 0, 1]) };
 * ```
 */
export interface IpAddress {
  /** 4 or 6. */
  family: 4 | 6;
  /** 4 bytes for IPv4, 16 for IPv6, network byte order. */
  bytes: Uint8Array;
}

/**
 * A parsed CIDR prefix; the address keeps its host bits (`10.1.0.5/16`), as CNI uses it.
 *
 * @example Usage
 * ```ts
 * import type { IpPrefix } from "./ip.ts";
 *
 * const net: IpPrefix = { family: 4, bytes: new Uint8Array([10, 1, 0, 5]), prefixLength: 16 };
 * ```
 */
export interface IpPrefix extends IpAddress {
  /** Number of leading one bits in the netmask. */
  prefixLength: number;
}

/**
 * Parses an IPv4 address (`10.1.0.5`) or an IPv6 address (`fd00::5`, `::ffff:10.1.0.5`).
 *
 * @param text The address.
 * @returns The address, or `undefined` when the text is not one.
 *
 * @example Usage
 * ```ts
 * import { parseIp } from "./ip.ts";
 *
 * parseIp("fd00::1")?.bytes.length; // 16
 * parseIp("10.1.0.256"); // undefined
 * ```
 */
export function parseIp(text: string): IpAddress | undefined {
  if (text.includes(":")) {
    const bytes = parseIpv6(text);
    return bytes && { family: 6, bytes };
  }
  const bytes = parseIpv4(text);
  return bytes && { family: 4, bytes };
}

/**
 * Parses an address with a prefix length, such as `10.1.0.5/16` or `fd00::5/64`.
 *
 * @param text The CIDR text.
 * @returns The prefix, or `undefined` when the text is not one.
 *
 * @example Usage
 * ```ts
 * import { parseCidr } from "./ip.ts";
 *
 * parseCidr("fd00::5/64")?.prefixLength; // 64
 * parseCidr("10.0.0.0/33"); // undefined
 * ```
 */
export function parseCidr(text: string): IpPrefix | undefined {
  const parts = text.split("/");
  if (parts.length !== 2) return undefined;
  const [address = "", length = ""] = parts;
  const ip = parseIp(address);
  if (ip === undefined || !/^[0-9]+$/.test(length)) return undefined;
  const prefixLength = Number(length);
  return prefixLength <= ip.bytes.length * 8 ? { ...ip, prefixLength } : undefined;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (const [i, part] of parts.entries()) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
    bytes[i] = Number(part);
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const runs: number[][] = [];
  for (const [i, half] of halves.entries()) {
    const words = parseWords(half, i === halves.length - 1);
    if (words === undefined) return undefined;
    runs.push(words);
  }
  const [head = [], tail = []] = runs;
  const given = head.length + tail.length;
  // "::" has to stand for at least one zero word.
  if (halves.length === 2 ? given > 7 : given !== 8) return undefined;
  const words = [...head, ...new Array<number>(8 - given).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  });
  return bytes;
}

// Parses colon-separated 16-bit words; only the last run of an address may end in a
// dotted IPv4 address, which stands for two words.
function parseWords(run: string, isLast: boolean): number[] | undefined {
  if (run === "") return [];
  const parts = run.split(":");
  const words: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (isLast && i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      words.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      words.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return words;
}

/**
 * The network part of an address: the bits past `prefixLength` cleared.
 *
 * @example Usage
 * ```ts
 * import { networkPart } from "./ip.ts";
 * networkPart(new Uint8Array([10, 1, 2, 3]), 16); // Uint8Array [10, 1, 0, 0]
 * ```
 */
export function networkPart(bytes: Uint8Array, prefixLength: number): Uint8Array {
  const out = bytes.slice();
  for (let bit = prefixLength; bit < out.length * 8; bit++) out[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return out;
}

/**
 * Whether two addresses are the same bytes (both absent counts as the same).
 *
 * @example Usage
 * ```ts
 * import { sameAddress } from "./ip.ts";
 * sameAddress(new Uint8Array([10, 0, 0, 1]), new Uint8Array([10, 0, 0, 1])); // true
 * ```
 */
export function sameAddress(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a === b ||
    (a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]));
}
