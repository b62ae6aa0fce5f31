/**
 * The Bun backend: binds {@linkcode SYMBOLS} with `bun:ffi`.
 *
 * bun:ffi has no alias field, so an entry whose symbol is already bound under another key (the
 * two `ioctl` signatures) goes into a second `dlopen` of the same library.
 *
 * @module
 */
import { dlopen, type FFIFunction, FFIType, read } from "bun:ffi";
import { type NativeType, type RawLibc, SYMBOLS, type SymbolSpec } from "./symbols.ts";

const TYPES: Record<NativeType, FFIType> = {
  i32: FFIType.i32,
  u64: FFIType.u64,
  buffer: FFIType.ptr,
  pointer: FFIType.ptr,
  void: FFIType.void,
};

type Bound = Record<string, (...args: unknown[]) => unknown>;

/** Splits the table into groups in which every C symbol name occurs once, and binds each. */
function bindAll(path: string): Bound {
  const groups: Record<string, FFIFunction>[] = [];
  const keys: Record<string, string>[] = [];
  for (const [key, spec] of Object.entries(SYMBOLS) as [string, SymbolSpec][]) {
    const symbol = spec.name ?? key;
    let i = groups.findIndex((g) => !(symbol in g));
    if (i < 0) i = groups.push({}) - 1, keys.push({});
    groups[i]![symbol] = {
      args: spec.parameters.map((t) => TYPES[t]),
      returns: TYPES[spec.result],
    };
    keys[i]![key] = symbol;
  }
  const bound: Bound = {};
  groups.forEach((g, i) => {
    const lib = dlopen(path, g).symbols as unknown as Bound;
    for (const [key, symbol] of Object.entries(keys[i]!)) bound[key] = lib[symbol]!;
  });
  return bound;
}

/**
 * Opens libc and returns the raw functions.
 *
 * @example Usage
 * ```ts
 * import { openRawLibc } from "./bun.ts";
 * const raw = openRawLibc("libc.so.6");
 * raw.close(-1); // -1, errno EBADF
 * ```
 */
export function openRawLibc(path: string): RawLibc {
  const s = bindAll(path);
  const where = s.__errno_location!() as number;
  const fns = s as unknown as Omit<RawLibc, "errno">;
  return { ...fns, errno: () => read.i32(where as never, 0) };
}
