/**
 * Creating a tap under an SELinux label: the kernel labels a tun device with the context of the
 * process that creates it, so this program sets the exec label of its own thread
 * (`/proc/thread-self/attr/exec`), runs itself as a child, which the kernel starts in that
 * context, and the child does the whole {@linkcode createTap}. No shell and no iproute2 are
 * involved; the reference plugin runs `ip tuntap add` the same way.
 *
 * The child gets the options as JSON on stdin and prints the device as JSON. It opens the netns by
 * path and checks that it is the one the parent holds open, since fds do not cross the exec
 * (they are all O_CLOEXEC).
 *
 * @module
 */
import { writeSync } from "node:fs";
import process from "node:process";
import { readAllStdin } from "./stdin.ts";
import { createTap, type CreateTapOptions, deleteTap, type TapInfo } from "./tap.ts";
import { isCompiledBinary, runProgram } from "./spawn.ts";
import { libc } from "../ffi/libc.ts";
import { O_CLOEXEC, O_RDONLY, O_WRONLY } from "../ffi/consts.ts";
import { errnoOf, TapError } from "../ffi/errors.ts";
import { type Netns, openNetns } from "../ffi/netns.ts";

/** The first argument that makes cli.ts run {@linkcode labeledChildMain} (cli.ts checks it). */
export const LABELED_CHILD_ARG = "__create-labeled";

/** What the parent sends the child: the options, with the netns as a path and its identity. */
interface ChildRequest {
  options: Omit<CreateTapOptions, "netns">;
  netns: { path: string; id: string };
}

/** What the child answers: the device, or the error's parts. */
type ChildReply =
  | { tap: TapInfo }
  | {
    error: { detail: string; errno: number; syscall: string | null; invalidInput: boolean };
  };

/**
 * Whether this host enforces or logs SELinux at all (selinuxfs is mounted).
 *
 * @example Usage
 * ```ts
 * import { selinuxEnabled } from "./labeled.ts";
 * if (!selinuxEnabled()) console.log("no SELinux here");
 * ```
 */
export function selinuxEnabled(): boolean {
  try {
    libc.close(libc.open("/sys/fs/selinux/enforce", O_RDONLY | O_CLOEXEC));
    return true;
  } catch {
    return false;
  }
}

/** Sets (or with "" clears) the SELinux context the calling thread's next exec runs in. */
function setExecLabel(label: string, action: string): void {
  let fd: number;
  try {
    fd = libc.open("/proc/thread-self/attr/exec", O_WRONLY | O_CLOEXEC);
  } catch (err) {
    throw TapError.relabel(err, action, "cannot open /proc/thread-self/attr/exec");
  }
  try {
    // Zero bytes clear the label, as libselinux's setexeccon(NULL) does.
    libc.write(fd, new TextEncoder().encode(label));
  } catch (err) {
    const why = err instanceof TapError && err.code === "EINVAL"
      ? `the kernel refuses the SELinux context "${label}"`
      : `cannot set the SELinux exec context "${label}"`;
    throw TapError.relabel(err, action, why);
  } finally {
    libc.close(fd);
  }
}

/** The command line that runs this program again, under the runtime running it now. */
function selfCommand(): [string, string[]] {
  const D = (globalThis as { Deno?: typeof Deno }).Deno;
  // The child needs FFI and the environment only: it opens everything through libc.
  if (D) return [D.execPath(), ["run", "--no-prompt", "--allow-ffi", "--allow-env", D.mainModule]];
  if (isCompiledBinary()) return [process.execPath, []];
  return [process.execPath, [...process.execArgv, process.argv[1] ?? ""]];
}

/**
 * Creates a tap under an SELinux label, through a child of this program started in that
 * context. Call it only from the entry program (cli.ts), whose own command line is re-run.
 *
 * @param options As for {@linkcode createTap}; the netns must be given as an opened Netns.
 * @param label The SELinux context, e.g. `system_u:system_r:container_t:s0`.
 * @returns The created device.
 * @throws {TapError} EOPNOTSUPP without SELinux, EINVAL for a context the kernel refuses, and
 *   every error of createTap, as the child met it.
 *
 * @example Usage
 * ```ts
 * import { createTapLabeled } from "./labeled.ts";
 * import { openNetns } from "../ffi/netns.ts";
 * const tap = await createTapLabeled(
 *   { name: "tap0", netns: openNetns("blue"), up: true },
 *   "system_u:system_r:container_t:s0",
 * );
 * console.log(tap.ifindex);
 * ```
 */
export async function createTapLabeled(
  options: CreateTapOptions & { netns: Netns },
  label: string,
): Promise<TapInfo> {
  const action = `Cannot create device "${options.name}"`;
  if (!selinuxEnabled()) {
    const why = `SELinux is not enabled, so the label "${label}" cannot be applied`;
    throw new TapError(action, why, { errno: 95, invalidInput: true });
  }
  const { netns, ...rest } = options;
  const request: ChildRequest = { options: rest, netns: { path: netns.path, id: netns.id } };
  const [exe, args] = selfCommand();
  // As before IPAM: fds this process inherited must not reach the child either.
  libc.cloexecFrom(3);
  setExecLabel(label, action);
  let running: ReturnType<typeof runProgram>;
  try {
    // runProgram forks before it returns, so the label is cleared before anything else runs.
    running = runProgram(exe, [...args, LABELED_CHILD_ARG], {}, JSON.stringify(request));
  } finally {
    setExecLabel("", action);
  }
  let ran;
  try {
    ran = await running;
  } catch (err) {
    // An enforcing policy that forbids the transition makes the exec fail with EACCES.
    const errno = errnoOf((err as { code?: string }).code ?? "") ?? 13;
    const why = `cannot run "${exe}" under "${label}": ${(err as Error).message}`;
    throw new TapError(action, why, { errno, cause: err });
  }
  if (ran === undefined) {
    throw new TapError(action, `cannot run "${exe}": not found`, { errno: 2 });
  }
  let reply: ChildReply;
  try {
    reply = JSON.parse(ran.stdout);
  } catch {
    throw new TapError(
      action,
      `the labeled child exited with status ${ran.status}: ${ran.stderr.trim() || "no output"}`,
      { errno: 5 },
    );
  }
  if ("tap" in reply) return reply.tap;
  const { detail, errno, syscall, invalidInput } = reply.error;
  throw new TapError(action, detail, { errno, invalidInput, ...(syscall ? { syscall } : {}) });
}

/**
 * The child's side: reads a request on stdin, creates the tap, prints the reply on stdout and
 * returns the exit status. A device whose reply cannot be delivered (the parent is gone) is
 * removed again, so nobody is left owning it.
 *
 * @example Usage
 * ```ts
 * import process from "node:process";
 * import { labeledChildMain } from "./labeled.ts";
 * process.exitCode = labeledChildMain();
 * ```
 */
export function labeledChildMain(): number {
  let reply: ChildReply;
  let made: { name: string; netns: Netns } | undefined;
  let ns: Netns | undefined;
  try {
    const request = JSON.parse(readAllStdin()) as ChildRequest;
    ns = openNetns(request.netns.path);
    if (ns.id !== request.netns.id) {
      throw new TapError(
        `Cannot create device "${request.options.name}"`,
        `netns "${request.netns.path}" is ${ns.id} now, not ${request.netns.id}`,
        { errno: 116 },
      );
    }
    const tap = createTap({ ...request.options, netns: ns });
    made = { name: tap.name, netns: ns };
    reply = { tap };
  } catch (err) {
    const e = err instanceof TapError
      ? err
      : new TapError("Cannot create device", (err as Error).message, { errno: 22 });
    reply = {
      error: {
        detail: e.detail,
        errno: e.errno,
        syscall: e.syscall ?? null,
        invalidInput: e.invalidInput,
      },
    };
  }
  try {
    writeSync(1, JSON.stringify(reply));
  } catch {
    if (made) deleteTap(made.name, { netns: made.netns });
    return 1;
  } finally {
    ns?.close();
  }
  return "tap" in reply ? 0 : 1;
}
