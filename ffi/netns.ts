/**
 * Network namespace handles and the netns window.
 *
 * `setns` switches only the calling thread. The window therefore runs a synchronous callback
 * only: a Promise would let other work run on this thread while it is in the wrong namespace, and
 * a child spawned meanwhile would inherit it. Callers open their fds inside the window and do all
 * the real work from the original namespace, on those fds (sockets and tun fds keep the netns they
 * were opened in).
 *
 * @module
 */
import process from "node:process";
import { CLONE_NEWNET, NAMESPACE_TYPES, NS_GET_NSTYPE, O_CLOEXEC, O_RDONLY } from "./consts.ts";
import { TapError } from "./errors.ts";
import { libc } from "./libc.ts";
import { writeStderr } from "../core/stderr.ts";

/** Where `ip netns add NAME` puts its bind mounts. */
export const NETNS_RUN_DIR = "/var/run/netns";

/** An open network namespace. Close it when done. */
export interface Netns {
  /** The path it was opened from. */
  readonly path: string;
  /** The open fd (O_CLOEXEC). */
  readonly fd: number;
  /** The kernel's identity of the namespace, e.g. `net:[4026532302]`. */
  readonly id: string;
  /** Closes the fd; safe to call twice. */
  close(): void;
}

/**
 * Turns a netns argument into a path: a bare name means `/var/run/netns/NAME`, anything with a
 * slash is a path.
 *
 * @example Usage
 * ```ts
 * import { netnsPath } from "./netns.ts";
 * netnsPath("blue"); // "/var/run/netns/blue"
 * netnsPath("/proc/123/ns/net"); // "/proc/123/ns/net"
 * ```
 */
export function netnsPath(nameOrPath: string): string {
  return nameOrPath.includes("/") ? nameOrPath : `${NETNS_RUN_DIR}/${nameOrPath}`;
}

/**
 * Opens a network namespace by name or path and checks that it really is one.
 *
 * @throws {TapError} ENOENT when it does not exist, EINVAL when the path is not a network
 *   namespace (a regular file, a directory, another kind of namespace).
 *
 * @example Usage
 * ```ts
 * import { openNetns } from "./netns.ts";
 * const ns = openNetns("blue");
 * try {
 *   console.log(ns.id);
 * } finally {
 *   ns.close();
 * }
 * ```
 */
export function openNetns(nameOrPath: string): Netns {
  const path = netnsPath(nameOrPath);
  const action = `Cannot open network namespace "${path}"`;
  let fd: number;
  try {
    fd = libc.open(path, O_RDONLY | O_CLOEXEC);
  } catch (err) {
    throw TapError.relabel(err, action);
  }
  let id: string;
  try {
    id = nsIdentity(fd, action);
  } catch (err) {
    libc.close(fd);
    throw err;
  }
  let open = true;
  return {
    path,
    fd,
    id,
    close() {
      if (open) libc.close(fd);
      open = false;
    },
  };
}

/** Checks that `fd` is a network namespace and returns its `net:[inode]` identity. */
function nsIdentity(fd: number, action: string): string {
  let type: number;
  try {
    type = libc.ioctl(fd, NS_GET_NSTYPE, 0);
  } catch (err) {
    if (err instanceof TapError && err.code === "ENOTTY") {
      throw new TapError(action, "not a network namespace (not a namespace file)", {
        errno: 22,
        invalidInput: true,
      });
    }
    throw TapError.relabel(err, action);
  }
  if (type !== CLONE_NEWNET) {
    const what = NAMESPACE_TYPES[type] ?? `type ${type}`;
    throw new TapError(action, `not a network namespace (it is a ${what} namespace)`, {
      errno: 22,
      invalidInput: true,
    });
  }
  return `net:[${libc.fstat(fd).ino}]`;
}

/**
 * The identity of the calling thread's current network namespace, e.g. `net:[4026531840]`.
 *
 * @example Usage
 * ```ts
 * import { currentNetnsId } from "./netns.ts";
 * currentNetnsId().startsWith("net:["); // true
 * ```
 */
export function currentNetnsId(): string {
  return libc.readlink("/proc/thread-self/ns/net");
}

/** Forbids async callbacks in the window at the type level. */
type NotPromise<T> = T extends PromiseLike<unknown> ? never : T;

/**
 * Runs `fn` with the calling thread inside `ns`, then switches back, even when `fn` throws.
 *
 * Keep `fn` to opening fds: no await (the type forbids a Promise), no child process. If the
 * switch back fails the process aborts: carrying on in the wrong namespace would act on the wrong
 * devices.
 *
 * @example Open a netlink socket inside a namespace
 * ```ts
 * import { openNetns, withNetns } from "./netns.ts";
 * import { libc } from "./libc.ts";
 * const ns = openNetns("blue");
 * const fd = withNetns(ns, () => libc.socket(16, 3 | 0x80000, 0));
 * ns.close();
 * ```
 */
export function withNetns<T>(ns: Netns | undefined, fn: () => NotPromise<T>): NotPromise<T> {
  if (ns === undefined) return fn();
  const home = libc.open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  try {
    try {
      libc.setns(ns.fd, CLONE_NEWNET);
    } catch (err) {
      throw TapError.relabel(err, `Cannot enter network namespace "${ns.path}"`);
    }
    try {
      return fn();
    } finally {
      restore(home);
    }
  } finally {
    libc.close(home);
  }
}

function restore(home: number): void {
  try {
    libc.setns(home, CLONE_NEWNET);
  } catch (err) {
    writeStderr(
      `Fatal: cannot return to the original network namespace: ${(err as Error).message}\n`,
    );
    process.abort();
  }
}
