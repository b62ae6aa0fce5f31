/**
 * `struct ifreq` encoding, and the interface-name rules of the kernel.
 *
 * @module
 */
import { IFNAMSIZ, IFREQ_SIZE } from "./consts.ts";
import { TapError } from "./errors.ts";

const encoder = new TextEncoder();

/**
 * Returns why `name` is not a valid Linux interface name, or undefined when it is one. The rules
 * are the kernel's `dev_valid_name`: 1 to 15 bytes, not `.` or `..`, no `/`, `:` or whitespace.
 * A `%d` template (`"vm%d"`) is valid; the kernel fills it in.
 *
 * @example Usage
 * ```ts
 * import { ifnameProblem } from "./ifreq.ts";
 * ifnameProblem("tap0"); // undefined
 * ifnameProblem("a/b"); // 'it must not contain "/"'
 * ```
 */
export function ifnameProblem(name: string): string | undefined {
  if (name.length === 0) return "it is empty";
  const bytes = encoder.encode(name).length;
  if (bytes >= IFNAMSIZ) return `it is ${bytes} bytes long, the limit is ${IFNAMSIZ - 1}`;
  if (name === "." || name === "..") return `it must not be "${name}"`;
  for (const c of ["/", ":", "\0"]) {
    if (name.includes(c)) return `it must not contain ${JSON.stringify(c)}`;
  }
  if (/\s/u.test(name)) return "it must not contain whitespace";
  // The kernel reads "%" only as one "%d" template; "a%s" or "a%d%d" fail with a bare EINVAL.
  if (name.includes("%") && (name.split("%").length !== 2 || !name.includes("%d"))) {
    return 'it may contain "%" only as one "%d" template';
  }
  return undefined;
}

/**
 * Throws a TapError (EINVAL) labelled with `action` unless `name` is a valid interface name. Names
 * are never truncated.
 *
 * @example Usage
 * ```ts
 * import { assertIfname } from "./ifreq.ts";
 * assertIfname("tap0", 'Cannot create device "tap0"');
 * ```
 */
export function assertIfname(name: string, action: string): void {
  const problem = ifnameProblem(name);
  if (problem !== undefined) {
    throw new TapError(action, `invalid name: ${problem}`, { errno: 22, invalidInput: true });
  }
}

/**
 * Builds a 40-byte `struct ifreq` with `ifr_name` and, optionally, `ifr_flags` (a u16 at offset
 * 16, host-endian).
 *
 * @example Usage
 * ```ts
 * import { encodeIfreq } from "./ifreq.ts";
 * const ifr = encodeIfreq("tap0", 0x1002);
 * ifr.length; // 40
 * ```
 */
export function encodeIfreq(name: string, flags = 0): Uint8Array {
  const buf = new Uint8Array(IFREQ_SIZE);
  const bytes = encoder.encode(name);
  if (bytes.length >= IFNAMSIZ) throw new RangeError(`Interface name "${name}" is too long`);
  buf.set(bytes, 0);
  new DataView(buf.buffer).setUint16(16, flags, true);
  return buf;
}

/**
 * Reads `ifr_name` back, for example the name the kernel chose for a `%d` template.
 *
 * @example Usage
 * ```ts
 * import { encodeIfreq, ifreqName } from "./ifreq.ts";
 * ifreqName(encodeIfreq("tap0")); // "tap0"
 * ```
 */
export function ifreqName(ifr: Uint8Array): string {
  const end = ifr.subarray(0, IFNAMSIZ).indexOf(0);
  return new TextDecoder().decode(ifr.subarray(0, end < 0 ? IFNAMSIZ : end));
}

/**
 * Reads `ifr_flags`.
 *
 * @example Usage
 * ```ts
 * import { encodeIfreq, ifreqFlags } from "./ifreq.ts";
 * ifreqFlags(encodeIfreq("tap0", 0x1002)); // 0x1002
 * ```
 */
export function ifreqFlags(ifr: Uint8Array): number {
  return new DataView(ifr.buffer, ifr.byteOffset).getUint16(16, true);
}
