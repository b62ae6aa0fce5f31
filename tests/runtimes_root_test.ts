/**
 * End-to-end tests of the compiled plugin, dist/tap, under real CNI clients (Debian 12 packages):
 * podman 4.3 with its CNI backend, containerd 1.6 with `ctr run --cni`, and a cnitool built here
 * against Debian's libcni 1.1.2 (tests/fixtures/cnitool). Each client creates a container (or a
 * scratch netns), the tap is inspected from inside it with the host's iproute2 (bound read-only
 * over /usr) and sysfs, and afterwards nothing may be left: no device, no host-local lease, no
 * result cache entry, no netns, no process.
 *
 * Every piece of client state (configs, storage, runc state, containerd root, CNI dirs, caches)
 * lives in a temp dir per test. ctr hard-codes /opt/cni/bin and /etc/cni/net.d, so containerd and
 * ctr run in a private mount namespace with the test's dirs bound over those (and a tmpfs over
 * /run, for /run/containerd); the host's are never touched. libcni's result cache
 * (/var/lib/cni/results) cannot be moved by podman or ctr: the test removes only its own entries,
 * and the directories only when it created them.
 *
 * tests/run.sh runs this file under Deno, Bun and Node; since it tests dist/tap, not the runtime
 * running the tests, it runs under Bun only (tests/run.sh builds dist/tap first). The recipes:
 * /work/shared/docs/real-clients.md.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  DIST,
  envWithoutCni,
  ip,
  ipLink,
  ipTuntaps,
  isRoot,
  leases,
  type Ran,
  run,
  runInNetns,
  runtime,
  uniq,
  withScratchNetns,
} from "./helpers.ts";

const CNITOOL_SRC = fileURLToPath(new URL("./fixtures/cnitool/main.go", import.meta.url));
const DEBIAN_PLUGINS = "/usr/lib/cni";

const skip: string | false = !isRoot
  ? "needs root"
  : runtime !== "bun"
  ? `tests the compiled dist/tap under real CNI clients, which does not depend on the runtime running the tests: runs under Bun only (this is ${runtime})`
  : false;

/** A test of this file: root and Bun only, with a timeout that only guards against hangs. */
function e2eTest(name: string, fn: () => void | Promise<void>): void {
  test(name, { skip, timeout: 100_000 }, fn);
}

// tun_flags bits (linux/if_tun.h)
const IFF_TUN = 0x1;
const IFF_TAP = 0x2;
const IFF_MULTI_QUEUE = 0x100;
const IFF_PERSIST = 0x800;
const IFF_NO_PI = 0x1000;
const IFF_VNET_HDR = 0x4000;

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Runs a command with a timeout (a hung client is killed and fails the test). */
function exec(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {},
): Ran {
  const r = spawnSync(cmd, args, {
    env: opts.env ?? envWithoutCni(),
    input: opts.input ?? "",
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 60_000,
    killSignal: "SIGKILL",
  });
  if (r.error) throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Like exec, and fails unless the command exits 0. */
function must(cmd: string, args: string[], opts: Parameters<typeof exec>[2] = {}): string {
  const r = exec(cmd, args, opts);
  assert.equal(
    r.status,
    0,
    `${cmd} ${args.join(" ")} exited ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
  );
  return r.stdout;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Fails (never skips) when the binary under test has not been built. */
function requireDist(): void {
  assert.ok(existsSync(DIST), `${DIST} is missing: run \`npm run build\` (tests/run.sh does)`);
}

/** Copies dist/tap into `binDir` as the plugin `tap`. */
function installTap(binDir: string, name = "tap"): string {
  requireDist();
  mkdirSync(binDir, { recursive: true });
  copyFileSync(DIST, `${binDir}/${name}`);
  chmodSync(`${binDir}/${name}`, 0o755);
  return `${binDir}/${name}`;
}

/** The host's iproute2 `ip` (a real file under /usr, so it works in a container that binds /usr). */
const IPROUTE = (() => {
  try {
    return realpathSync("/usr/sbin/ip");
  } catch {
    return "/usr/bin/ip";
  }
})();

/**
 * A busybox-static rootfs. The host's top-level lib symlinks (lib -> usr/lib, lib64 -> usr/lib64)
 * are copied too, so that with the host's /usr bound read-only the real iproute2 runs inside
 * (busybox's `ip` has no `-d`).
 */
function makeRootfs(dir: string): string {
  for (const d of ["bin", "proc", "sys", "dev", "etc", "tmp", "run", "usr", "ipam"]) {
    mkdirSync(`${dir}/${d}`, { recursive: true });
  }
  copyFileSync("/bin/busybox", `${dir}/bin/busybox`);
  chmodSync(`${dir}/bin/busybox`, 0o755);
  for (const applet of must("/bin/busybox", ["--list"]).split("\n")) {
    // `busybox --list` includes busybox itself: linking it would replace the binary.
    if (applet && applet !== "busybox") symlinkSync("busybox", `${dir}/bin/${applet}`);
  }
  for (const l of ["lib", "lib32", "lib64", "libx32"]) {
    try {
      if (lstatSync(`/${l}`).isSymbolicLink()) symlinkSync(readlinkSync(`/${l}`), `${dir}/${l}`);
    } catch { /* not on this host */ }
  }
  assert.ok(IPROUTE.startsWith("/usr/"), `iproute2's ip is at ${IPROUTE}, not under /usr`);
  return dir;
}

/**
 * The shell script run inside the container: what the kernel says about eth0, in sections. sysfs
 * is the container's own (its netns); `ip` is the host's iproute2; /ipam is the host-local
 * dataDir, bound read-only.
 */
function probeScript(net: string): string {
  const f = "/sys/class/net/eth0";
  return [
    `echo '== flags'; cat ${f}/tun_flags`,
    `echo '== owner'; cat ${f}/owner`,
    `echo '== group'; cat ${f}/group`,
    `echo '== link'; ${IPROUTE} -d -j link show eth0`,
    `echo '== text'; ${IPROUTE} -d link show eth0`,
    `echo '== addr'; ${IPROUTE} -j addr show eth0`,
    `echo '== route'; ${IPROUTE} -j route show dev eth0`,
    `echo '== leases'; ls /ipam/${net}`,
  ].join("\n");
}

/** What probeScript printed, by section. */
function sections(out: string): Record<string, string> {
  const parts: Record<string, string> = {};
  let name = "";
  for (const line of out.split("\n")) {
    const m = /^== (\w+)$/.exec(line);
    if (m) name = m[1]!;
    else if (name) parts[name] = parts[name] === undefined ? line : `${parts[name]}\n${line}`;
  }
  return parts;
}

/** What the tap should look like. */
interface Want {
  multiQueue: boolean;
  owner?: number;
  group?: number;
  mtu: number;
  mac?: string;
  /** e.g. "10.95.0." for a /24 */
  subnet: string;
  gateway: string;
  routeDst: string;
}

/** Checks what probeScript saw inside the container; returns the tap's IPv4 address. */
function checkProbe(out: string, want: Want): string {
  const s = sections(out);
  const ctx = `inside the container:\n${out}`;
  const flags = Number(s.flags?.trim());
  const expected = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_PERSIST |
    (want.multiQueue ? IFF_MULTI_QUEUE : 0);
  assert.equal(flags & IFF_TUN, 0, `IFF_TUN set in tun_flags; ${ctx}`);
  assert.equal(hex(flags), hex(expected), `tun_flags (TAP|NO_PI|VNET_HDR|PERSIST[|MULTI_QUEUE])`);
  assert.equal(s.owner?.trim(), String(want.owner ?? -1), `sysfs owner; ${ctx}`);
  assert.equal(s.group?.trim(), String(want.group ?? -1), `sysfs group; ${ctx}`);

  const link = JSON.parse(s.link ?? "null")[0];
  assert.equal(link.linkinfo?.info_kind, "tun", ctx);
  const data = link.linkinfo.info_data;
  assert.deepEqual(
    {
      type: data.type,
      pi: data.pi,
      vnet_hdr: data.vnet_hdr,
      multi_queue: data.multi_queue,
      persist: data.persist,
      user: data.user,
      group: data.group,
    },
    {
      type: "tap",
      pi: false,
      vnet_hdr: true,
      multi_queue: want.multiQueue,
      persist: true,
      user: want.owner,
      group: want.group,
    },
    ctx,
  );
  assert.equal(link.mtu, want.mtu, ctx);
  assert.ok(link.flags.includes("UP"), `eth0 is not up; ${ctx}`);
  if (want.mac) assert.equal(link.address, want.mac, ctx);
  assert.match(s.text ?? "", /\btun type tap pi off vnet_hdr on\b/, ctx);
  assert.equal(/\bmulti_queue\b/.test(s.text ?? ""), want.multiQueue, ctx);

  const v4 = JSON.parse(s.addr ?? "null")[0].addr_info.filter(
    (a: { family: string }) => a.family === "inet",
  );
  assert.equal(v4.length, 1, ctx);
  assert.equal(v4[0].prefixlen, 24, ctx);
  assert.ok(
    v4[0].local.startsWith(want.subnet),
    `address ${v4[0].local} not in ${want.subnet}0/24`,
  );
  const routes = JSON.parse(s.route ?? "null");
  assert.ok(
    routes.some((r: { dst: string; gateway?: string }) =>
      r.dst === want.routeDst && r.gateway === want.gateway
    ),
    `no route ${want.routeDst} via ${want.gateway}; ${ctx}`,
  );
  assert.ok(
    (s.leases ?? "").split(/\s+/).includes(v4[0].local),
    `host-local holds no lease for ${v4[0].local}; ${ctx}`,
  );
  return v4[0].local;
}

/** A conflist with one tap plugin and host-local IPAM. */
function conflist(
  name: string,
  dataDir: string,
  subnet: string,
  routeDst: string,
  tap: Record<string, unknown>,
): string {
  return JSON.stringify(
    {
      cniVersion: "1.0.0",
      name,
      plugins: [{
        type: "tap",
        ...tap,
        ipam: {
          type: "host-local",
          dataDir,
          ranges: [[{ subnet: `${subnet}0/24` }]],
          routes: [{ dst: routeDst }],
        },
      }],
    },
    null,
    2,
  );
}

// ---- the host, before and after ----

/** Host paths the clients write when their state is not moved (real-clients.md, cleanup). */
const HOST_PATHS = [
  "/var/lib/cni",
  "/var/lib/cni/results",
  "/var/lib/cni/networks",
  "/var/lib/containers",
  "/var/lib/containerd",
  "/run/containers",
  "/run/libpod",
  "/run/runc",
  "/run/containerd",
  "/etc/containers/networks",
  "/etc/cni/net.d/cni.lock",
  "/opt/containerd",
  "/opt/cni",
];
/** libcni's result cache: podman 4.3 and ctr cannot move it, so these may appear. */
const UNMOVABLE = new Set(["/var/lib/cni", "/var/lib/cni/results"]);

interface HostState {
  tuntaps: string;
  podmanNetns: Set<string>;
  existing: Set<string>;
  etcCni: string;
}

function netnsNames(): string[] {
  try {
    return readdirSync("/run/netns");
  } catch {
    return [];
  }
}

function listing(dir: string): string {
  try {
    return readdirSync(dir).sort().join(" ");
  } catch {
    return "(none)";
  }
}

function hostState(): HostState {
  return {
    tuntaps: ipTuntaps(undefined).join(" "),
    podmanNetns: new Set(netnsNames().filter((n) => n.startsWith("netns-"))),
    existing: new Set(HOST_PATHS.filter((p) => existsSync(p))),
    etcCni: `${listing("/etc/cni/net.d")} | ${listing("/opt/cni/bin")}`,
  };
}

/**
 * Puts the host back as it was (whatever the test did) and returns what had leaked: result cache
 * entries of `nets`, new podman netns, host paths the test created, and tun/taps in the host
 * netns. Only what the test made is removed.
 */
function restoreHost(before: HostState, nets: string[]): string[] {
  const leaks: string[] = [];
  const results = "/var/lib/cni/results";
  for (const f of existsSync(results) ? readdirSync(results) : []) {
    if (nets.some((n) => f.startsWith(`${n}-`))) {
      leaks.push(`${results}/${f}`);
      rmSync(`${results}/${f}`, { force: true });
    }
  }
  for (const n of netnsNames()) {
    if (n.startsWith("netns-") && !before.podmanNetns.has(n)) {
      leaks.push(`/run/netns/${n}`);
      run("ip", ["netns", "del", n]);
    }
  }
  for (const p of [...HOST_PATHS].reverse()) {
    if (before.existing.has(p) || !existsSync(p)) continue;
    if (UNMOVABLE.has(p)) {
      // ours only if empty now: something else may have started using it meanwhile
      try {
        rmdirSync(p);
      } catch { /* not empty: not ours alone */ }
    } else {
      leaks.push(p);
      rmSync(p, { recursive: true, force: true });
    }
  }
  const etcCni = `${listing("/etc/cni/net.d")} | ${listing("/opt/cni/bin")}`;
  if (etcCni !== before.etcCni) leaks.push(`/etc/cni/net.d | /opt/cni/bin: ${etcCni}`);
  const tuntaps = ipTuntaps(undefined).join(" ");
  if (tuntaps !== before.tuntaps) leaks.push(`host tun/taps "${before.tuntaps}" -> "${tuntaps}"`);
  return leaks;
}

/** Pids of processes whose command line mentions `dir` (clients of this test that linger). */
function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, "latin1").includes(dir)) pids.push(Number(p));
    } catch { /* gone */ }
  }
  return pids;
}

/**
 * Removes a test's temp dir once no process of this test uses it any more (podman's detached
 * `container cleanup` may still run for a moment). Stragglers still there after a while are
 * killed by pid and reported. Mounts left under it are unmounted.
 */
async function removeScratch(dir: string): Promise<string[]> {
  const leaks: string[] = [];
  for (let i = 0; i < 100 && processesUsing(dir).length > 0; i++) await sleep(100);
  for (const pid of processesUsing(dir)) {
    leaks.push(`process ${pid} still running`);
    try {
      process.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
  const mounts = readFileSync("/proc/mounts", "utf8").split("\n")
    .map((l) => l.split(" ")[1] ?? "").filter((m) => m.startsWith(`${dir}/`));
  for (const m of mounts.reverse()) {
    leaks.push(`mount ${m}`);
    run("umount", ["-l", m]);
  }
  rmSync(dir, { recursive: true, force: true });
  return leaks;
}

/**
 * Runs every cleanup step, even after one throws, and returns what they found left behind (a step
 * that threw counts as a leak, so the test fails without hiding its own error).
 */
async function cleanUp(...steps: (() => string[] | Promise<string[]>)[]): Promise<string[]> {
  const leaks: string[] = [];
  for (const step of steps) {
    try {
      leaks.push(...await step());
    } catch (err) {
      leaks.push(`cleanup failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return leaks;
}

// ---- podman ----

/** podman with the CNI backend and every path in `dir`. */
function podmanSetup(dir: string): (args: string[]) => Ran {
  const runcWrapper = `${dir}/runtime/runc`;
  mkdirSync(`${dir}/runtime`);
  // podman passes --runtime-flag to its own calls only; its detached `container cleanup` would
  // run `runc delete` against /run/runc. A wrapper keeps runc's state in the temp dir for all.
  writeFileSync(runcWrapper, `#!/bin/sh\nexec /usr/sbin/runc --root=${dir}/runc-state "$@"\n`);
  chmodSync(runcWrapper, 0o755);
  writeFileSync(
    `${dir}/containers.conf`,
    `[containers]
# podman's defaults (1048576) cannot be set without CAP_SYS_RESOURCE
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[network]
network_backend = "cni"
cni_plugin_dirs = ["${dir}/cni/bin", "${DEBIAN_PLUGINS}"]
network_config_dir = "${dir}/cni/net.d"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "${dir}/podman-tmp/events.log"
tmp_dir = "${dir}/podman-tmp"

[engine.runtimes]
runc = ["${runcWrapper}"]
`,
  );
  writeFileSync(
    `${dir}/storage.conf`,
    `[storage]
driver = "overlay"
graphroot = "${dir}/podman-store/graph"
runroot = "${dir}/podman-store/run"
`,
  );
  const e = envWithoutCni({
    CONTAINERS_CONF: `${dir}/containers.conf`,
    CONTAINERS_STORAGE_CONF: `${dir}/storage.conf`,
  });
  return (args) => exec("podman", args, { env: e });
}

e2eTest(
  "podman (CNI backend) runs a container on a tap network: flags, owner, MTU, --mac-address, host-local address; --rm leaves nothing",
  async () => {
    const dir = mkdtempSync(`${tmpdir()}/tap-rt-podman-`);
    const u = uniq();
    const net = `tap-podman-${u}`;
    const bad = `tap-podman-lo-${u}`;
    const dataDir = `${dir}/ipam`;
    const before = hostState();
    let leaks: string[] = [];
    try {
      installTap(`${dir}/cni/bin`);
      mkdirSync(`${dir}/cni/net.d`, { recursive: true });
      mkdirSync(dataDir);
      const rootfs = makeRootfs(`${dir}/rootfs`);
      const want: Want = {
        multiQueue: true,
        owner: 1000,
        group: 1001,
        mtu: 1400,
        mac: "02:5a:00:00:00:77",
        subnet: "10.95.0.",
        gateway: "10.95.0.1",
        routeDst: "10.96.0.0/16",
      };
      writeFileSync(
        `${dir}/cni/net.d/${net}.conflist`,
        conflist(net, dataDir, want.subnet, want.routeDst, {
          multiQueue: true,
          owner: 1000,
          group: 1001,
          mtu: 1400,
        }),
      );
      const podman = podmanSetup(dir);

      // podman sends --mac-address only as CNI_ARGS MAC= (no runtimeConfig, no tuning here).
      const r = podman([
        "run",
        "--rm",
        "--network",
        net,
        "--mac-address",
        want.mac!,
        "-v",
        "/usr:/usr:ro",
        "-v",
        `${dataDir}:/ipam:ro`,
        "--rootfs",
        rootfs,
        "/bin/sh",
        "-c",
        probeScript(net),
      ]);
      assert.equal(r.status, 0, `podman run: ${r.stdout}\n${r.stderr}`);
      checkProbe(r.stdout, want);

      // --rm: the DEL ran; the lease, the container and its netns are gone
      assert.deepEqual(leases(dataDir, net), [], "the lease is still there after --rm");
      const ps = podman(["ps", "-a", "--format", "{{.ID}}"]);
      assert.equal(ps.stdout.trim(), "", `containers left: ${ps.stdout}`);

      // A failing ADD (CNI_IFNAME "lo" exists) after host-local ran: podman reports the
      // plugin's error, sends DEL, and nothing stays (lease released, no container).
      writeFileSync(
        `${dir}/cni/net.d/${bad}.conflist`,
        conflist(bad, dataDir, "10.92.0.", "10.93.0.0/16", { mtu: 1400 }),
      );
      const failed = podman([
        "run",
        "--rm",
        "--network",
        `${bad}:interface_name=lo`,
        "--rootfs",
        rootfs,
        "/bin/true",
      ]);
      assert.notEqual(failed.status, 0, failed.stdout);
      assert.match(failed.stderr, /plugin type="tap" failed \(add\).*"lo" already exists/);
      assert.doesNotMatch(failed.stderr, /failed \(delete\)/, "podman's DEL after it failed");
      assert.ok(existsSync(`${dataDir}/${bad}`), "host-local never ran: the ADD failed too early");
      assert.deepEqual(leases(dataDir, bad), [], "the failed ADD left a lease");
      assert.equal(podman(["ps", "-a", "--format", "{{.ID}}"]).stdout.trim(), "");
    } finally {
      leaks = await cleanUp(
        () => podmanCleanup(dir),
        () => removeScratch(dir),
        () => restoreHost(before, [net, bad]),
      );
    }
    assert.deepEqual(leaks, [], "left behind on the host");
  },
);

/** `podman rm -a -f` in the test's own storage, if the test got that far. */
function podmanCleanup(dir: string): string[] {
  if (!existsSync(`${dir}/containers.conf`)) return [];
  const r = exec("podman", ["rm", "-a", "-f", "-t0"], {
    env: envWithoutCni({
      CONTAINERS_CONF: `${dir}/containers.conf`,
      CONTAINERS_STORAGE_CONF: `${dir}/storage.conf`,
    }),
  });
  return r.stdout.trim() ? [`containers ${r.stdout.trim().split("\n").join(" ")}`] : [];
}

// ---- containerd + ctr ----

/** A containerd of this test, in its own mount namespace. */
interface Containerd {
  child: ChildProcess;
  pid: number;
  mntNs: string;
  ctr: (args: string[]) => Ran;
  log: string;
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Starts containerd with root, state, sockets and opt in `dir`, in a private mount namespace
 * where `binDir` is /opt/cni/bin, `confDir` is /etc/cni/net.d and /run is a fresh tmpfs (for
 * /run/containerd). ctr runs in that namespace too (nsenter), so `ctr run --cni` finds them.
 */
async function startContainerd(dir: string, binDir: string, confDir: string): Promise<Containerd> {
  assert.ok(existsSync("/etc/cni/net.d"), "/etc/cni/net.d must exist to bind over it");
  const c = `${dir}/ctrd`;
  mkdirSync(c);
  writeFileSync(
    `${c}/config.toml`,
    `version = 2
root = "${c}/root"
state = "${c}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "${c}/containerd.sock"
[ttrpc]
  address = "${c}/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "${c}/opt"
`,
  );
  const script = [
    "set -e",
    "mount -t tmpfs tap-rt-run /run",
    "mkdir -p /run/containerd",
    "mount -t tmpfs tap-rt-opt /opt",
    "mkdir -p /opt/cni/bin",
    `mount --bind '${binDir}' /opt/cni/bin`,
    `mount --bind '${confDir}' /etc/cni/net.d`,
    `exec containerd --config '${c}/config.toml'`,
  ].join("\n");
  const log = `${c}/containerd.log`;
  const fd = openSync(log, "w");
  // unshare execs sh, which execs containerd: the pid is containerd's.
  const child = spawn("unshare", ["-m", "--propagation", "private", "sh", "-c", script], {
    stdio: ["ignore", fd, fd],
    env: envWithoutCni(),
  });
  closeSync(fd);
  let spawnError: Error | undefined;
  child.once("error", (err) => spawnError = err);
  if (child.pid === undefined) {
    await sleep(0);
    assert.fail(`cannot start containerd: ${spawnError?.message ?? "no pid"}`);
  }
  const pid = child.pid;
  const ctr = (args: string[]): Ran =>
    exec("nsenter", ["-t", String(pid), "-m", "ctr", "--address", `${c}/containerd.sock`, ...args]);
  let mntNs = "";
  for (let i = 0; i < 100; i++) {
    if (!running(child)) break;
    if (ctr(["version"]).status === 0) {
      mntNs = readlinkSync(`/proc/${pid}/ns/mnt`);
      break;
    }
    await sleep(100);
  }
  const started = { child, pid, mntNs, ctr, log };
  if (!mntNs) {
    await stopContainerd(started);
    assert.fail(`containerd did not start:\n${readFileSync(log, "utf8")}`);
  }
  assert.notEqual(mntNs, readlinkSync("/proc/self/ns/mnt"), "containerd is in the host mount ns");
  return started;
}

/**
 * Removes every container and task, stops containerd, and kills (by pid) whatever it started that
 * is still in its mount namespace (shims). Returns what had to be killed.
 */
async function stopContainerd(c: Containerd): Promise<string[]> {
  const leaks: string[] = [];
  if (running(c.child) && c.mntNs) {
    for (const id of c.ctr(["containers", "ls", "-q"]).stdout.split("\n").filter(Boolean)) {
      leaks.push(`container ${id}`);
      c.ctr(["tasks", "kill", "-s", "SIGKILL", id]);
      c.ctr(["tasks", "rm", "-f", id]);
      c.ctr(["containers", "rm", id]);
    }
  }
  if (running(c.child)) {
    const exited = new Promise((resolve) => c.child.once("exit", resolve));
    c.child.kill("SIGTERM");
    if (await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]) === false) {
      leaks.push(`containerd ${c.pid} ignored SIGTERM`);
      c.child.kill("SIGKILL");
      await exited;
    }
  }
  if (c.mntNs) {
    for (const p of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      try {
        if (readlinkSync(`/proc/${p}/ns/mnt`) !== c.mntNs) continue;
        leaks.push(`process ${p} (${readFileSync(`/proc/${p}/comm`, "utf8").trim()})`);
        process.kill(Number(p), "SIGKILL");
      } catch { /* gone */ }
    }
  }
  return leaks;
}

e2eTest(
  "containerd `ctr run --cni` runs a container on a tap network; DEL with an empty CNI_NETNS releases the lease",
  async () => {
    const dir = mkdtempSync(`${tmpdir()}/tap-rt-ctr-`);
    const u = uniq();
    const net = `tap-ctr-${u}`;
    const id = `tap-rt-${u}`;
    const dataDir = `${dir}/ipam`;
    const calls = `${dir}/calls.log`;
    const before = hostState();
    let containerd: Containerd | undefined;
    let leaks: string[] = [];
    try {
      // /opt/cni/bin/tap logs the CNI_* variables it is called with and execs dist/tap: the only
      // way to see that ctr's DEL really came with an empty CNI_NETNS.
      const real = installTap(`${dir}/plugin`);
      mkdirSync(`${dir}/bin`);
      writeFileSync(
        `${dir}/bin/tap`,
        `#!/bin/sh\necho "$CNI_COMMAND netns=$CNI_NETNS ifname=$CNI_IFNAME cid=$CNI_CONTAINERID" >>'${calls}'\nexec '${real}' "$@"\n`,
      );
      chmodSync(`${dir}/bin/tap`, 0o755);
      mkdirSync(`${dir}/net.d`);
      mkdirSync(dataDir);
      const rootfs = makeRootfs(`${dir}/rootfs`);
      const want: Want = {
        multiQueue: false,
        group: 1002,
        mtu: 1300,
        subnet: "10.94.0.",
        gateway: "10.94.0.1",
        routeDst: "10.97.0.0/16",
      };
      // the only conflist there: ctr takes the first one in lexical order
      writeFileSync(
        `${dir}/net.d/10-${net}.conflist`,
        conflist(net, dataDir, want.subnet, want.routeDst, { group: 1002, mtu: 1300 }),
      );
      containerd = await startContainerd(dir, `${dir}/bin`, `${dir}/net.d`);

      const r = containerd.ctr([
        "run",
        "--rm",
        "--cni",
        "--mount",
        "type=bind,src=/usr,dst=/usr,options=rbind:ro",
        "--mount",
        `type=bind,src=${dataDir},dst=/ipam,options=rbind:ro`,
        "--rootfs",
        rootfs,
        id,
        "/bin/sh",
        "-c",
        probeScript(net),
      ]);
      assert.equal(r.status, 0, `ctr run: ${r.stdout}\n${r.stderr}`);
      checkProbe(r.stdout, want);

      const log = readFileSync(calls, "utf8").trim().split("\n");
      assert.equal(log.length, 2, log.join("\n"));
      assert.match(
        log[0]!,
        new RegExp(`^ADD netns=/proc/\\d+/ns/net ifname=eth0 cid=default-${id}$`),
      );
      assert.equal(log[1], `DEL netns= ifname=eth0 cid=default-${id}`);
      assert.deepEqual(leases(dataDir, net), [], "DEL with an empty CNI_NETNS kept the lease");
      assert.equal(containerd.ctr(["containers", "ls", "-q"]).stdout.trim(), "");
    } finally {
      leaks = await cleanUp(
        () => containerd ? stopContainerd(containerd) : [],
        () => removeScratch(dir),
        () => restoreHost(before, [net]),
      );
    }
    assert.deepEqual(leaks, [], "left behind");
  },
);

// ---- cnitool (libcni 1.1.2) ----

/** Builds tests/fixtures/cnitool against Debian's libcni (GOPATH mode, offline) into `dir`. */
function buildCnitool(dir: string): string {
  const src = `${dir}/gopath/src/cnitool`;
  mkdirSync(src, { recursive: true });
  copyFileSync(CNITOOL_SRC, `${src}/main.go`);
  const out = `${dir}/cnitool`;
  const r = spawnSync("go", ["build", "-o", out, "."], {
    cwd: src,
    env: envWithoutCni({
      GO111MODULE: "off",
      GOPATH: `${dir}/gopath:/usr/share/gocode`,
      GOPROXY: "off",
      GOFLAGS: "",
      GOENV: "off",
      GOCACHE: `${dir}/gocache`,
      CGO_ENABLED: "0",
    }),
    encoding: "utf8",
    timeout: 120_000,
    killSignal: "SIGKILL",
  });
  assert.equal(r.status, 0, `go build cnitool: ${r.error ?? ""}${r.stdout}${r.stderr}`);
  return out;
}

e2eTest(
  "cnitool (libcni 1.1.2): add, check (which notices a changed MAC) and del of tap + host-local",
  async () => {
    const dir = mkdtempSync(`${tmpdir()}/tap-rt-cnitool-`);
    const net = `tap-cnitool-${uniq()}`;
    const dataDir = `${dir}/ipam`;
    const before = hostState();
    let leaks: string[] = [];
    try {
      installTap(`${dir}/bin`);
      const cnitool = buildCnitool(dir);
      mkdirSync(`${dir}/net.d`);
      mkdirSync(dataDir);
      const conf = JSON.parse(
        conflist(net, dataDir, "10.93.0.", "10.98.0.0/16", {
          multiQueue: true,
          owner: 107,
          group: 110,
          mtu: 9000,
          mac: "02:00:00:00:00:01",
          capabilities: { mac: true },
        }),
      );
      writeFileSync(`${dir}/net.d/${net}.conflist`, JSON.stringify(conf));
      const mac = "02:cc:00:00:00:03";
      await withScratchNetns((ns) => {
        const e = envWithoutCni({
          NETCONFPATH: `${dir}/net.d`,
          CNI_PATH: `${dir}/bin:${DEBIAN_PLUGINS}`,
          CNI_CACHE_DIR: `${dir}/cache`,
          CNI_CONTAINERID: `rt-${net}`,
          // runtimeConfig.mac (libcni injects it for the mac capability) beats CNI_ARGS MAC=,
          // which beats the config's; IP= reaches host-local through the plugin.
          CAP_ARGS: JSON.stringify({ mac }),
          CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAME=p;MAC=02:bb:00:00:00:02;IP=10.93.0.77",
        });
        const tool = (verb: string): Ran => exec(cnitool, [verb, net, ns.path], { env: e });

        const add = tool("add");
        assert.equal(add.status, 0, `cnitool add: ${add.stdout}${add.stderr}`);
        const result = JSON.parse(add.stdout);
        const link = ipLink(ns.name, "eth0");
        assert.ok(link, "no eth0 in the netns after add");
        assert.equal(link.linkinfo.info_kind, "tun");
        const d = link.linkinfo.info_data;
        assert.deepEqual([d.type, d.pi, d.vnet_hdr, d.multi_queue, d.persist, d.user, d.group], [
          "tap",
          false,
          true,
          true,
          true,
          107,
          110,
        ]);
        assert.equal(link.mtu, 9000);
        assert.equal(link.address, mac);
        assert.ok(link.flags.includes("UP"));
        const tunFlags = runInNetns(ns.name, "cat", ["/sys/class/net/eth0/tun_flags"]);
        assert.equal(tunFlags.status, 0, `cat tun_flags in the netns: ${tunFlags.stderr}`);
        const flags = Number(tunFlags.stdout);
        assert.equal(
          hex(flags),
          hex(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_PERSIST | IFF_MULTI_QUEUE),
        );
        const addrs = JSON.parse(ip(ns.name, "-j", "-4", "addr", "show", "eth0"));
        assert.deepEqual(
          addrs[0].addr_info.map((a: { local: string; prefixlen: number }) =>
            `${a.local}/${a.prefixlen}`
          ),
          ["10.93.0.77/24"],
        );
        assert.deepEqual(result.interfaces, [{ name: "eth0", mac, sandbox: ns.path }]);
        assert.deepEqual(result.ips, [
          { address: "10.93.0.77/24", gateway: "10.93.0.1", interface: 0 },
        ]);
        const routes = JSON.parse(ip(ns.name, "-j", "route", "show", "dev", "eth0"));
        assert.ok(
          routes.some((r: { dst: string; gateway?: string }) =>
            r.dst === "10.98.0.0/16" && r.gateway === "10.93.0.1"
          ),
          JSON.stringify(routes),
        );
        assert.deepEqual(leases(dataDir, net), ["10.93.0.77"]);
        const cache = `${dir}/cache/results/${net}-rt-${net}-eth0`;
        assert.ok(existsSync(cache), "libcni cached no result in CNI_CACHE_DIR");

        const check = tool("check");
        assert.equal(check.status, 0, `cnitool check: ${check.stdout}${check.stderr}`);
        // CHECK compares the device with the cached prevResult that libcni passes it
        ip(ns.name, "link", "set", "eth0", "address", "02:dd:00:00:00:04");
        const changed = tool("check");
        assert.notEqual(changed.status, 0, "check passed with the MAC changed behind its back");
        assert.match(changed.stderr, /mac/i);
        ip(ns.name, "link", "set", "eth0", "address", mac);
        assert.equal(tool("check").status, 0);

        const del = tool("del");
        assert.equal(del.status, 0, `cnitool del: ${del.stdout}${del.stderr}`);
        assert.equal(ipLink(ns.name, "eth0"), undefined, "eth0 still there after del");
        assert.deepEqual(ipTuntaps(ns.name), []);
        assert.deepEqual(leases(dataDir, net), [], "the lease is still there after del");
        assert.ok(!existsSync(cache), "libcni's cached result is still there after del");
        // a second del (no cached result now) still succeeds
        const again = tool("del");
        assert.equal(again.status, 0, `second cnitool del: ${again.stdout}${again.stderr}`);
      });
    } finally {
      leaks = await cleanUp(() => removeScratch(dir), () => restoreHost(before, [net]));
    }
    assert.deepEqual(leaks, [], "left behind on the host");
  },
);
