/**
 * The libc symbol table: every C function this project calls, declared once as data.
 *
 * The entries use Deno's FFI type names; `bun.ts` translates them. Each comment gives the C
 * signature. ssize_t results are declared `i32` on purpose: every buffer here is far below 2 GiB,
 * and a 64-bit result would come back as a bigint, an allocation between the failing call and the
 * errno read (ffi-notes: allocation can clobber errno).
 *
 * No entry is `nonblocking`: `setns` moves only the calling thread, and only synchronous calls run
 * on the JS thread.
 *
 * @module
 */

/** One FFI parameter or result type, as Deno names it. */
export type NativeType = "i32" | "u64" | "buffer" | "pointer" | "void";

/** One C function: its parameters, its result, and the real symbol name when the key aliases it. */
export interface SymbolSpec {
  readonly name?: string;
  readonly parameters: readonly NativeType[];
  readonly result: NativeType;
}

/** The table. Raw symbols never leave ffi/. */
export const SYMBOLS = {
  open: { parameters: ["buffer", "i32", "i32"], result: "i32" }, // int open(const char *path, int flags, mode_t mode)
  close: { parameters: ["i32"], result: "i32" }, // int close(int fd)
  read: { parameters: ["i32", "buffer", "u64"], result: "i32" }, // ssize_t read(int fd, void *buf, size_t count)
  write: { parameters: ["i32", "buffer", "u64"], result: "i32" }, // ssize_t write(int fd, const void *buf, size_t count)
  ioctl_ptr: { name: "ioctl", parameters: ["i32", "u64", "buffer"], result: "i32" }, // int ioctl(int fd, unsigned long req, void *arg)
  ioctl_int: { name: "ioctl", parameters: ["i32", "u64", "u64"], result: "i32" }, // int ioctl(int fd, unsigned long req, unsigned long arg)
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" }, // int socket(int domain, int type, int protocol)
  send: { parameters: ["i32", "buffer", "u64", "i32"], result: "i32" }, // ssize_t send(int fd, const void *buf, size_t len, int flags)
  recv: { parameters: ["i32", "buffer", "u64", "i32"], result: "i32" }, // ssize_t recv(int fd, void *buf, size_t len, int flags)
  setns: { parameters: ["i32", "i32"], result: "i32" }, // int setns(int fd, int nstype)
  fstat: { parameters: ["i32", "buffer"], result: "i32" }, // int fstat(int fd, struct stat *buf)
  close_range: { parameters: ["i32", "i32", "i32"], result: "i32" }, // int close_range(unsigned int first, unsigned int last, int flags)
  readlink: { parameters: ["buffer", "buffer", "u64"], result: "i32" }, // ssize_t readlink(const char *path, char *buf, size_t size)
  __errno_location: { parameters: [], result: "pointer" }, // int *__errno_location(void)
} as const satisfies Record<string, SymbolSpec>;

/** The names of the table's entries. */
export type SymbolName = keyof typeof SYMBOLS;

/** The raw bound functions: numbers and buffers in, a C int out. */
export interface RawLibc {
  open(path: Uint8Array, flags: number, mode: number): number;
  close(fd: number): number;
  read(fd: number, buf: Uint8Array, count: number): number;
  write(fd: number, buf: Uint8Array, count: number): number;
  ioctl_ptr(fd: number, req: number, arg: Uint8Array): number;
  ioctl_int(fd: number, req: number, arg: number): number;
  socket(domain: number, type: number, protocol: number): number;
  send(fd: number, buf: Uint8Array, len: number, flags: number): number;
  recv(fd: number, buf: Uint8Array, len: number, flags: number): number;
  setns(fd: number, nstype: number): number;
  fstat(fd: number, buf: Uint8Array): number;
  close_range(first: number, last: number, flags: number): number;
  readlink(path: Uint8Array, buf: Uint8Array, size: number): number;
  /** Reads the calling thread's errno through the pointer cached at load time. */
  errno(): number;
}

/** The libc soname; TAP_LIBC overrides it (for musl or an unusual layout). */
export const DEFAULT_LIBC = "libc.so.6";
