/**
 * The Node.js backend: binds {@linkcode SYMBOLS} with koffi.
 *
 * koffi declares functions from C prototypes, so the table's types are turned into C type names.
 * Buffers are `_Inout_ uint8_t *`, so what the kernel writes comes back. The integer form of
 * ioctl passes its third argument through the variadic `...`, as koffi requires for C varargs.
 *
 * @module
 */
import koffi from "koffi";
import { type NativeType, type RawLibc, SYMBOLS, type SymbolSpec } from "./symbols.ts";

const C_TYPES: Record<NativeType, string> = {
  i32: "int",
  u64: "uint64_t",
  buffer: "_Inout_ uint8_t *",
  pointer: "void *",
  void: "void",
};

type Fn = (...args: unknown[]) => number;

/**
 * Opens libc and returns the raw functions.
 *
 * @example Usage
 * ```ts
 * import { openRawLibc } from "./node.ts";
 * const raw = openRawLibc("libc.so.6");
 * raw.close(-1); // -1, errno EBADF
 * ```
 */
export function openRawLibc(path: string): RawLibc {
  const lib = koffi.load(path);
  const fns: Record<string, Fn> = {};
  for (const [key, spec] of Object.entries(SYMBOLS) as [string, SymbolSpec][]) {
    if (key === "__errno_location" || key === "ioctl_int") continue;
    const params = spec.parameters.map((t, i) => `${C_TYPES[t]} a${i}`).join(", ");
    fns[key] = lib.func(`${C_TYPES[spec.result]} ${spec.name ?? key}(${params})`) as Fn;
  }
  const ioctlVar = lib.func("int ioctl(int fd, unsigned long req, ...)") as Fn;
  fns.ioctl_int = (fd, req, arg) => ioctlVar(fd, req, "unsigned long", arg);
  const raw = fns as unknown as Omit<RawLibc, "errno">;
  // koffi.errno() reads the thread's errno as the last synchronous call left it.
  return { ...raw, errno: () => koffi.errno() };
}
