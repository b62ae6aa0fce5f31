/**
 * The one error class of the project, and the errno name table behind its messages.
 *
 * Every failure that reaches a user, from a syscall, from netlink or from input validation, is a
 * {@linkcode TapError}. It carries the failed `syscall` (when there was one), the `errno` and its
 * symbolic `code`, so programs can branch on `err.code === "EBUSY"` instead of parsing messages.
 *
 * @module
 */

/** Linux errno values (asm-generic, shared by x86_64, arm64 and riscv64) with glibc's strerror text. */
const ERRNO: Readonly<Record<number, readonly [code: string, text: string]>> = {
  1: ["EPERM", "operation not permitted"],
  2: ["ENOENT", "no such file or directory"],
  3: ["ESRCH", "no such process"],
  4: ["EINTR", "interrupted system call"],
  5: ["EIO", "input/output error"],
  6: ["ENXIO", "no such device or address"],
  7: ["E2BIG", "argument list too long"],
  8: ["ENOEXEC", "exec format error"],
  9: ["EBADF", "bad file descriptor"],
  11: ["EAGAIN", "resource temporarily unavailable"],
  12: ["ENOMEM", "cannot allocate memory"],
  13: ["EACCES", "permission denied"],
  14: ["EFAULT", "bad address"],
  16: ["EBUSY", "device or resource busy"],
  17: ["EEXIST", "file exists"],
  19: ["ENODEV", "no such device"],
  20: ["ENOTDIR", "not a directory"],
  21: ["EISDIR", "is a directory"],
  22: ["EINVAL", "invalid argument"],
  23: ["ENFILE", "too many open files in system"],
  24: ["EMFILE", "too many open files"],
  25: ["ENOTTY", "inappropriate ioctl for device"],
  28: ["ENOSPC", "no space left on device"],
  30: ["EROFS", "read-only file system"],
  34: ["ERANGE", "numerical result out of range"],
  36: ["ENAMETOOLONG", "file name too long"],
  38: ["ENOSYS", "function not implemented"],
  40: ["ELOOP", "too many levels of symbolic links"],
  71: ["EPROTO", "protocol error"],
  75: ["EOVERFLOW", "value too large for defined data type"],
  88: ["ENOTSOCK", "socket operation on non-socket"],
  90: ["EMSGSIZE", "message too long"],
  93: ["EPROTONOSUPPORT", "protocol not supported"],
  95: ["EOPNOTSUPP", "operation not supported"],
  97: ["EAFNOSUPPORT", "address family not supported by protocol"],
  98: ["EADDRINUSE", "address already in use"],
  99: ["EADDRNOTAVAIL", "cannot assign requested address"],
  100: ["ENETDOWN", "network is down"],
  101: ["ENETUNREACH", "network is unreachable"],
  105: ["ENOBUFS", "no buffer space available"],
  110: ["ETIMEDOUT", "connection timed out"],
  116: ["ESTALE", "stale file handle"],
};

/**
 * Returns the symbolic name of an errno value, such as `"EBUSY"` for 16.
 *
 * @example Usage
 * ```ts
 * import { errnoCode } from "./errors.ts";
 * errnoCode(16); // "EBUSY"
 * ```
 */
export function errnoCode(errno: number): string {
  return ERRNO[errno]?.[0] ?? `E${errno}`;
}

/**
 * Returns the lower-case strerror text of an errno value, such as `"device or resource busy"`.
 *
 * @example Usage
 * ```ts
 * import { errnoText } from "./errors.ts";
 * errnoText(1); // "operation not permitted"
 * ```
 */
export function errnoText(errno: number): string {
  return ERRNO[errno]?.[1] ?? `unknown error ${errno}`;
}

/**
 * Returns the errno value of a symbolic name, or undefined when it is not in the table.
 *
 * @example Usage
 * ```ts
 * import { errnoOf } from "./errors.ts";
 * errnoOf("ENODEV"); // 19
 * ```
 */
export function errnoOf(code: string): number | undefined {
  for (const [n, [c]] of Object.entries(ERRNO)) if (c === code) return Number(n);
  return undefined;
}

/** What a {@linkcode TapError} is made of besides its message. */
export interface TapErrorInit {
  /** The failed call, e.g. `"ioctl(TUNSETIFF)"` or `"netlink RTM_NEWLINK"`; absent for input errors. */
  syscall?: string;
  /** The errno value; for input errors the errno that fits best (EINVAL, ENODEV, ...). */
  errno: number;
  /** The underlying error, kept for debugging. */
  cause?: unknown;
  /** The input was refused before anything was done: a bad name, value or option. */
  invalidInput?: boolean;
}

/**
 * The error thrown by every operation of this library.
 *
 * The message follows the std rules: the failed action first, values quoted, details after a
 * colon, and the errno name last, e.g. `Cannot create device "tap0": device or resource busy
 * (EBUSY)`.
 *
 * @example Branch on the errno name
 * ```ts
 * import { createTap, TapError } from "../mod.ts";
 * try {
 *   createTap({ name: "tap0" });
 * } catch (err) {
 *   if (err instanceof TapError && err.code === "EBUSY") console.error("tap0 already exists");
 *   else throw err;
 * }
 * ```
 */
export class TapError extends Error {
  /** The failed call, or undefined when the input was refused before any call was made. */
  readonly syscall: string | undefined;
  /** The errno value. */
  readonly errno: number;
  /** The symbolic errno name, e.g. `"EBUSY"`. */
  readonly code: string;
  /** True when the input was refused before anything was done (the CLI exits 2 for it). */
  readonly invalidInput: boolean;

  /**
   * Builds an error whose message is `action: detail (CODE)`.
   *
   * @param action What failed, e.g. `Cannot create device "tap0"`.
   * @param detail Why; defaults to the strerror text of `init.errno`.
   * @param init The errno, and the syscall when there was one.
   */
  constructor(action: string, detail: string | undefined, init: TapErrorInit) {
    const code = errnoCode(init.errno);
    const why = detail ?? errnoText(init.errno);
    super(`${action}: ${why} (${code})`, { cause: init.cause });
    this.name = "TapError";
    this.syscall = init.syscall;
    this.errno = init.errno;
    this.code = code;
    this.detail = why;
    this.invalidInput = init.invalidInput ?? false;
  }

  /** The detail part of the message: why, without the action and the errno name. */
  readonly detail: string;

  /**
   * Re-labels an error with the user-level action that failed, keeping errno, syscall and detail;
   * `step` names the part of the action that failed (`cannot add address "fd00::2/64"`). Errors
   * that are not TapErrors are returned unchanged, so bugs keep their stack.
   *
   * @example Usage
   * ```ts
   * import { TapError } from "./errors.ts";
   * const low = TapError.syscall("ioctl(TUNSETIFF)", 16);
   * (TapError.relabel(low, 'Cannot create device "tap0"') as TapError).message;
   * // 'Cannot create device "tap0": device or resource busy (EBUSY)'
   * ```
   */
  static relabel(err: unknown, action: string, step?: string): unknown {
    if (!(err instanceof TapError)) return err;
    const init: TapErrorInit = { errno: err.errno, cause: err, invalidInput: err.invalidInput };
    if (err.syscall !== undefined) init.syscall = err.syscall;
    return new TapError(action, step === undefined ? err.detail : `${step}: ${err.detail}`, init);
  }

  /**
   * The error for a failed syscall: `ioctl(TUNSETIFF) failed: device or resource busy (EBUSY)`.
   *
   * @example Usage
   * ```ts
   * import { TapError } from "./errors.ts";
   * TapError.syscall("setns", 1).code; // "EPERM"
   * ```
   */
  static syscall(syscall: string, errno: number): TapError {
    return new TapError(`${syscall} failed`, undefined, { syscall, errno });
  }
}
