/**
 * The libc interface the rest of the project uses: typed, synchronous, and throwing
 * {@linkcode TapError} with the errno of the failed call.
 *
 * The backend (Deno, Bun) is picked once, at import time, from the running runtime; each runtime
 * only ever evaluates its own backend file.
 *
 * @module
 */
import { assertSupportedArch, IOCTL_NAMES } from "./consts.ts";
import { TapError } from "./errors.ts";
import { DEFAULT_LIBC, type RawLibc } from "./symbols.ts";
import process from "node:process";

/** Synchronous libc calls; each throws a TapError carrying errno when the call fails. */
export interface Libc {
  /** open(2); returns the fd. */
  open(path: string, flags: number, mode?: number): number;
  /** close(2). Errors are ignored: there is nothing a caller could do about them. */
  close(fd: number): void;
  /** read(2); returns the byte count. */
  read(fd: number, buf: Uint8Array): number;
  /** write(2); returns the byte count. */
  write(fd: number, buf: Uint8Array): number;
  /** ioctl(2) with a buffer (the kernel may write into it) or an integer value. */
  ioctl(fd: number, request: number, arg: Uint8Array | number): number;
  /** socket(2); returns the fd. */
  socket(domain: number, type: number, protocol: number): number;
  /** setns(2) for the calling thread. */
  setns(fd: number, nstype: number): void;
  /** send(2) with no flags; returns the byte count. */
  send(fd: number, buf: Uint8Array): number;
  /** recv(2) with no flags; returns the byte count. */
  recv(fd: number, buf: Uint8Array): number;
  /** fstat(2), reduced to the fields used: the device and inode numbers. */
  fstat(fd: number): { dev: bigint; ino: bigint };
  /** readlink(2); returns the link target. */
  readlink(path: string): string;
  /**
   * Marks every fd from `first` up close-on-exec (close_range with CLOSE_RANGE_CLOEXEC, Linux
   * 5.11): fds this process inherited must not reach the programs it runs either.
   */
  cloexecFrom(first: number): void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes a string as a NUL-terminated C string.
 *
 * @example Usage
 * ```ts
 * import { cString } from "./libc.ts";
 * cString("ab"); // Uint8Array [97, 98, 0]
 * ```
 */
export function cString(s: string): Uint8Array {
  return encoder.encode(s + "\0");
}

/**
 * Wraps the raw backend functions. Each wrapper compares the result and reads errno as the very
 * next step, before anything allocates.
 *
 * @example Usage
 * ```ts
 * import { wrapRawLibc } from "./libc.ts";
 * import { openRawLibc } from "./deno.ts";
 * const libc = wrapRawLibc(openRawLibc("libc.so.6"));
 * libc.readlink("/proc/self/ns/net"); // "net:[4026531840]"
 * ```
 */
export function wrapRawLibc(raw: RawLibc): Libc {
  const fail = (syscall: string, errno: number): never => {
    throw TapError.syscall(syscall, errno);
  };
  const linkBuf = new Uint8Array(4096);
  return {
    open(path, flags, mode = 0) {
      const p = cString(path);
      const r = raw.open(p, flags, mode);
      return r < 0 ? fail("open", raw.errno()) : r;
    },
    close(fd) {
      raw.close(fd);
    },
    read(fd, buf) {
      const r = raw.read(fd, buf, buf.byteLength);
      return r < 0 ? fail("read", raw.errno()) : r;
    },
    write(fd, buf) {
      const r = raw.write(fd, buf, buf.byteLength);
      return r < 0 ? fail("write", raw.errno()) : r;
    },
    ioctl(fd, request, arg) {
      const r = typeof arg === "number"
        ? raw.ioctl_int(fd, request, arg)
        : raw.ioctl_ptr(fd, request, arg);
      return r < 0 ? fail(`ioctl(${IOCTL_NAMES[request] ?? request})`, raw.errno()) : r;
    },
    socket(domain, type, protocol) {
      const r = raw.socket(domain, type, protocol);
      return r < 0 ? fail("socket", raw.errno()) : r;
    },
    setns(fd, nstype) {
      const r = raw.setns(fd, nstype);
      if (r < 0) fail("setns", raw.errno());
    },
    send(fd, buf) {
      const r = raw.send(fd, buf, buf.byteLength, 0);
      return r < 0 ? fail("send", raw.errno()) : r;
    },
    recv(fd, buf) {
      const r = raw.recv(fd, buf, buf.byteLength, 0);
      return r < 0 ? fail("recv", raw.errno()) : r;
    },
    fstat(fd) {
      // st_dev and st_ino are the first two u64 fields on x86_64, arm64 and riscv64 alike.
      const buf = new Uint8Array(256);
      const r = raw.fstat(fd, buf);
      if (r < 0) fail("fstat", raw.errno());
      const view = new DataView(buf.buffer);
      return { dev: view.getBigUint64(0, true), ino: view.getBigUint64(8, true) };
    },
    cloexecFrom(first) {
      // ~0U as a C unsigned int, passed through an i32; CLOSE_RANGE_CLOEXEC is 1 << 2.
      const r = raw.close_range(first, -1, 4);
      if (r < 0) fail("close_range", raw.errno());
    },
    readlink(path) {
      const p = cString(path);
      const r = raw.readlink(p, linkBuf, linkBuf.byteLength);
      return r < 0 ? fail("readlink", raw.errno()) : decoder.decode(linkBuf.subarray(0, r));
    },
  };
}

/** Which runtime this is, by the globals each one defines. */
function runtimeName(): "deno" | "bun" | "node" {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (typeof g.Deno === "object") return "deno";
  if (typeof g.Bun === "object") return "bun";
  return "node";
}

/** Reads an env var; a denied Deno permission counts as unset, so no flag is needed for it. */
function envOrUnset(name: string): string | undefined {
  try {
    return process.env[name];
  } catch {
    return undefined;
  }
}

async function openBackend(): Promise<RawLibc> {
  assertSupportedArch(process.arch);
  const path = envOrUnset("TAP_LIBC") || DEFAULT_LIBC;
  try {
    switch (runtimeName()) {
      case "deno":
        return (await import("./deno.ts")).openRawLibc(path);
      case "bun":
        return (await import("./bun.ts")).openRawLibc(path);
      case "node":
        return (await import("./node.ts")).openRawLibc(path);
    }
  } catch (err) {
    // Deno's own message already says "Could not open library"; keep only its reason.
    const why = (err as Error).message.replace(/^(Could not open library: )+/, "");
    throw new Error(`Cannot load libc "${path}": ${why}`, { cause: err });
  }
}

/** The process-wide libc, bound at import time. */
export const libc: Libc = wrapRawLibc(await openBackend());
