/**
 * The Deno backend: binds {@linkcode SYMBOLS} with `Deno.dlopen`.
 *
 * @module
 */
import { type RawLibc, SYMBOLS } from "./symbols.ts";

/**
 * Opens libc and returns the raw functions.
 *
 * @example Usage
 * ```ts
 * import { openRawLibc } from "./deno.ts";
 * const raw = openRawLibc("libc.so.6");
 * raw.close(-1); // -1, errno EBADF
 * ```
 */
export function openRawLibc(path: string): RawLibc {
  const lib = Deno.dlopen(path, SYMBOLS);
  const s = lib.symbols;
  const where = s.__errno_location();
  if (where === null) throw new Error("Cannot load libc: __errno_location returned NULL");
  // One view, made once: building a pointer object per read allocates, and an allocation between
  // the failing call and the read can clobber errno.
  const view = new Deno.UnsafePointerView(where);
  const fns = lib.symbols as unknown as Omit<RawLibc, "errno">;
  return { ...fns, errno: () => view.getInt32(0) };
}
