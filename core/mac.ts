/**
 * MAC address parsing and formatting.
 *
 * @module
 */

/**
 * Parses a colon-separated MAC address (`02:00:00:00:00:01`, any case) into 6 bytes, or returns
 * why it is not acceptable for a tap: it must be well formed, unicast and not all zero (the kernel
 * refuses the others with EADDRNOTAVAIL, which says less).
 *
 * @example Usage
 * ```ts
 * import { parseMac } from "./mac.ts";
 * parseMac("02:00:00:00:00:01"); // Uint8Array [2, 0, 0, 0, 0, 1]
 * parseMac("01:00:5e:00:00:01"); // "it is a multicast address"
 * ```
 */
export function parseMac(text: string): Uint8Array | string {
  const parts = text.split(":");
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) {
    return "expected six colon-separated hex bytes, like 02:00:00:00:00:01";
  }
  const bytes = Uint8Array.from(parts, (p) => parseInt(p, 16));
  if (bytes[0]! & 1) return "it is a multicast address";
  if (bytes.every((b) => b === 0)) return "it is all zero";
  return bytes;
}

/**
 * Formats bytes as a lower-case colon-separated MAC address.
 *
 * @example Usage
 * ```ts
 * import { formatMac } from "./mac.ts";
 * formatMac(new Uint8Array([2, 0, 0, 0xab, 0, 1])); // "02:00:00:ab:00:01"
 * ```
 */
export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(":");
}
