/**
 * `npm run bench`: the benchmark suite. Every figure is a ratio against a baseline measured in the
 * same run, A B A B alternated after a warm-up, with medians over the pairs; absolute numbers are
 * printed too, with min, median and max. It writes docs/BENCHMARKS.md (or --out FILE).
 *
 *   bun bench/run.ts [--quick] [--out FILE]
 *
 * Needs root (network namespaces), `npm run build` (dist/tap), and Debian's host-local in
 * /usr/lib/cni. It sends no traffic; every device lives in namespaces it makes and removes.
 *
 * @module
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = `${ROOT}/node_modules/.bin`;
/** The compiled plugin under test (`npm run build`). */
const DIST = `${ROOT}/dist/tap`;
const QUICK = process.argv.includes("--quick");
const OUT = process.argv.includes("--out")
  ? process.argv[process.argv.indexOf("--out") + 1]!
  : `${ROOT}/docs/BENCHMARKS.md`;
const PAIRS = QUICK ? 3 : 25;
const WARMUP = QUICK ? 1 : 3;

/** One process to run: argv, extra env, stdin. */
interface Step {
  argv: string[];
  env?: Record<string, string>;
  stdin?: string;
}

interface Sample {
  ms: number;
}

const BASE_ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" };

function runSteps(steps: Step[]): Sample {
  const t0 = Bun.nanoseconds();
  for (const s of steps) {
    const r = Bun.spawnSync(s.argv, {
      env: { ...BASE_ENV, ...s.env },
      stdin: s.stdin === undefined ? "ignore" : new TextEncoder().encode(s.stdin),
      stdout: "pipe",
      stderr: "pipe",
    });
    if (r.exitCode !== 0) {
      throw new Error(`${s.argv.join(" ")} failed (${r.exitCode}): ${r.stdout} ${r.stderr}`);
    }
  }
  return { ms: (Bun.nanoseconds() - t0) / 1e6 };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (x: number): string => x.toFixed(1);
const stats = (xs: number[]): string =>
  `${fmt(Math.min(...xs))} / ${fmt(median(xs))} / ${fmt(Math.max(...xs))}`;

interface Comparison {
  name: string;
  baseline: string;
  a: Sample[];
  b: Sample[];
}

/** A B A B ... after a warm-up; each side is a list of processes run one after the other. */
function compare(name: string, baseline: string, a: () => Step[], b: () => Step[]): Comparison {
  for (let i = 0; i < WARMUP; i++) runSteps(a()), runSteps(b());
  const as: Sample[] = [];
  const bs: Sample[] = [];
  for (let i = 0; i < PAIRS; i++) {
    as.push(runSteps(a()));
    bs.push(runSteps(b()));
  }
  const c = { name, baseline, a: as, b: bs };
  process.stderr.write(`${row(c)}\n`);
  return c;
}

function ratio(c: Comparison): number {
  return median(c.a.map((s, i) => s.ms / c.b[i]!.ms));
}

function row(c: Comparison): string {
  const ms = (x: Sample[]): number[] => x.map((s) => s.ms);
  return `| ${c.name} | ${c.baseline} | **${ratio(c).toFixed(2)}×** | ${stats(ms(c.a))} | ${
    stats(ms(c.b))
  } |`;
}

function sh(cmd: string[]): string {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr}`);
  return r.stdout.toString();
}

// --- the plugin under each runtime ------------------------------------------------------------

const RUNTIMES: Record<string, string[]> = {
  "dist/tap": [DIST],
  "bun cli.ts": [`${BIN}/bun`, `${ROOT}/cli.ts`],
  "deno run cli.ts": [
    `${BIN}/deno`,
    "run",
    "--no-prompt",
    "--allow-ffi",
    "--allow-env",
    "--allow-run",
    "--allow-read=/etc/passwd,/etc/group,/var/run/netns",
    `${ROOT}/cli.ts`,
  ],
  "node (tsx) cli.ts": ["node", "--import", "tsx", `${ROOT}/cli.ts`],
};

const NS = `tapbench-${process.pid}`;
const NSPATH = `/var/run/netns/${NS}`;
const MAC = "02:00:00:00:00:01";
const BASE = {
  cniVersion: "1.0.0",
  name: "bench",
  type: "tap",
  multiQueue: true,
  mtu: 1400,
  mac: MAC,
};
const CONF = JSON.stringify(BASE);
const CNI_ENV = {
  CNI_CONTAINERID: "bench",
  CNI_NETNS: NSPATH,
  CNI_IFNAME: "tap0",
  CNI_PATH: "/usr/lib/cni",
};

function cniCycle(argv: string[], conf: string): Step[] {
  return [
    { argv, env: { ...CNI_ENV, CNI_COMMAND: "ADD" }, stdin: conf },
    { argv, env: { ...CNI_ENV, CNI_COMMAND: "DEL" }, stdin: conf },
  ];
}

/** `ip tuntap add`, `ip link set` mtu/address/up, `ip tuntap del`: the same device, by iproute2. */
function ipCycle(): Step[] {
  return [
    { argv: ["ip", "-n", NS, "tuntap", "add", "dev", "tap0", "mode", "tap", "multi_queue"] },
    { argv: ["ip", "-n", NS, "link", "set", "tap0", "mtu", "1400", "address", MAC, "up"] },
    { argv: ["ip", "-n", NS, "tuntap", "del", "dev", "tap0", "mode", "tap", "multi_queue"] },
  ];
}

function hostLocal(dataDir: string): { conf: string; steps: Step[] } {
  const conf = JSON.stringify({
    ...BASE,
    ipam: { type: "host-local", subnet: "10.250.0.0/24", dataDir },
  });
  // host-local takes the same env and stdin as the plugin that delegates to it.
  return { conf, steps: cniCycle(["/usr/lib/cni/host-local"], conf) };
}

// --- in-process workloads ---------------------------------------------------------------------

function batch(n: number): { createUs: number; deleteUs: number } {
  const out = sh([`${BIN}/bun`, `${ROOT}/bench/batch.ts`, NS, String(n)]);
  return JSON.parse(out);
}

async function concurrent(n: number): Promise<{ addMs: number; delMs: number; failures: number }> {
  const names = Array.from({ length: n }, (_, i) => `${NS}-c${i}`);
  for (const ns of names) sh(["ip", "netns", "add", ns]);
  try {
    const wave = async (command: string): Promise<[number, number]> => {
      const t0 = Bun.nanoseconds();
      const codes = await Promise.all(names.map(async (ns) => {
        const p = Bun.spawn([DIST], {
          env: { ...BASE_ENV, ...CNI_ENV, CNI_NETNS: `/var/run/netns/${ns}`, CNI_COMMAND: command },
          stdin: new TextEncoder().encode(CONF),
          stdout: "ignore",
          stderr: "ignore",
        });
        return await p.exited;
      }));
      return [(Bun.nanoseconds() - t0) / 1e6, codes.filter((c) => c !== 0).length];
    };
    // Not sh(): a missing tap is a failure to count, not a reason to abort the bench.
    const hasTap = (ns: string): boolean =>
      Bun.spawnSync(["ip", "-n", ns, "link", "show", "tap0"], { stdout: "pipe", stderr: "pipe" })
        .exitCode === 0;
    const [addMs, addFail] = await wave("ADD");
    const left = names.filter((ns) => !hasTap(ns)).length;
    const [delMs, delFail] = await wave("DEL");
    const remaining = names.filter(hasTap).length;
    return { addMs, delMs, failures: addFail + delFail + left + remaining };
  } finally {
    for (const ns of names) Bun.spawnSync(["ip", "netns", "del", ns]);
  }
}

/**
 * Peak RSS of one process in MiB, from GNU time (`time` package): a spawner's own memory counts
 * in the child's ru_maxrss until exec, so Bun's resourceUsage would report Bun's size.
 */
function peakRss(step: Step): string {
  const out = `${tmpdir()}/tapbench-rss-${process.pid}`;
  try {
    runSteps([{ ...step, argv: ["/usr/bin/time", "-f", "%M", "-o", out, ...step.argv] }]);
    return fmt(Number(readFileSync(out, "utf8").trim().split("\n").at(-1)) / 1024);
  } catch {
    return "n/a (needs /usr/bin/time)";
  } finally {
    rmSync(out, { force: true });
  }
}

/** Wall time of one process, median over runs: the start-up ladder. */
function single(steps: () => Step[], runs = PAIRS): number[] {
  for (let i = 0; i < WARMUP; i++) runSteps(steps());
  return Array.from({ length: runs }, () => runSteps(steps()).ms);
}

// --- main -------------------------------------------------------------------------------------

function machine(): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const ver = (argv: string[]): string => sh(argv).split("\n")[0]!.trim();
  return [
    `- CPU: ${cpu}, ${cpus().length} cores; ${
      (Number(readFileSync("/proc/meminfo", "utf8").match(/MemTotal:\s+(\d+)/)?.[1]) / 1048576)
        .toFixed(0)
    } GiB`,
    `- Kernel: ${sh(["uname", "-r"]).trim()}; ${ver(["ip", "-V"])}`,
    `- Runtimes: bun ${ver([`${BIN}/bun`, "--version"])}, ${
      ver([`${BIN}/deno`, "--version"])
    }, node ${process.versions.node ? ver(["node", "--version"]) : "?"}`,
    `- Date: ${
      new Date().toISOString().slice(0, 10)
    }; ${PAIRS} pairs after ${WARMUP} warm-up pairs${
      QUICK ? " (--quick: a smoke run, not a measurement)" : ""
    }`,
  ].join("\n");
}

sh(["ip", "netns", "add", NS]);
const dataDir = mkdtempSync(`${tmpdir()}/tapbench-ipam-`);
const HELLO = `${dataDir}/hello-bin`;
const FLOOR = `${dataDir}/floor-bin`;
/** Compiles a bench program with dist/tap's flags (scripts/build.sh). */
function compile(entry: string, out: string): void {
  sh([
    `${BIN}/bun`,
    "build",
    "--compile",
    "--minify",
    "--bytecode",
    "--splitting",
    "--format=esm",
    "--no-compile-autoload-dotenv",
    "--no-compile-autoload-bunfig",
    `${ROOT}/${entry}`,
    "--outfile",
    out,
  ]);
}
try {
  compile("bench/hello.ts", HELLO);
  compile("bench/floor.ts", FLOOR);
  const header =
    "| workload | baseline | ratio (median of pair ratios) | A ms min / median / max | baseline ms min / median / max |\n| --- | --- | --- | --- | --- |";
  const a: Comparison[] = [];
  for (const [name, argv] of Object.entries(RUNTIMES)) {
    a.push(
      compare(
        `(a) CNI ADD+DEL, ${name}`,
        "ip tuntap add, ip link set, ip tuntap del",
        () => cniCycle(argv, CONF),
        ipCycle,
      ),
    );
  }
  const floor = compare(
    "(a) floor: compiled Bun, core only (bench/floor.ts)",
    "ip tuntap add, ip link set, ip tuntap del",
    () => [{ argv: [FLOOR, "add", NSPATH] }, { argv: [FLOOR, "del", NSPATH] }],
    ipCycle,
  );
  const hl = hostLocal(dataDir);
  const b: Comparison[] = [];
  for (const name of ["dist/tap", "bun cli.ts"]) {
    b.push(
      compare(
        `(b) CNI ADD+DEL with host-local, ${name}`,
        "(a)'s baseline + host-local ADD, DEL",
        () => cniCycle(RUNTIMES[name]!, hl.conf),
        () => [...ipCycle(), ...hl.steps],
      ),
    );
  }
  const cliSteps = (argv: string[]): Step[] => [
    {
      argv: [
        ...argv,
        "create",
        "tap0",
        "--multiqueue",
        "--mtu",
        "1400",
        "--mac",
        MAC,
        "--up",
        "-n",
        NS,
      ],
    },
    { argv: [...argv, "delete", "tap0", "-n", NS] },
  ];
  const c = [
    compare(
      "(c) tap create + tap delete, dist/tap",
      "the same with ip",
      () => cliSteps(RUNTIMES["dist/tap"]!),
      ipCycle,
    ),
  ];
  const sizes = QUICK ? [10, 20] : [10, 100, 1000];
  const d = sizes.map((n) => ({ n, ...batch(n) }));
  const e = await concurrent(QUICK ? 5 : 100);

  // Start-up ladder of dist/tap: each rung adds one piece of the CNI path.
  const ladder: [string, number[]][] = [
    ["compiled Bun hello world (runtime start)", single(() => [{ argv: [HELLO] }])],
    [
      "`dist/tap --version` (+ loading the bundle)",
      single(() => [{ argv: [DIST, "--version"] }]),
    ],
    [
      "CNI VERSION (+ the CNI entry point; no zod, no libc)",
      single(() => [{ argv: [DIST], env: { CNI_COMMAND: "VERSION" } }]),
    ],
    [
      "CNI DEL, empty CNI_NETNS (+ env, stdin, zod/mini config validation)",
      single(
        () => [{
          argv: [DIST],
          env: { ...CNI_ENV, CNI_NETNS: "", CNI_COMMAND: "DEL" },
          stdin: CONF,
        }],
      ),
    ],
    [
      "CNI DEL, netns with no such device (+ libc binding, netns, netlink)",
      single(
        () => [{
          argv: [DIST],
          env: { ...CNI_ENV, CNI_IFNAME: "none0", CNI_COMMAND: "DEL" },
          stdin: CONF,
        }],
      ),
    ],
  ];
  const rss = Object.entries(RUNTIMES).map(([name, argv]) => {
    const add = peakRss({ argv, env: { ...CNI_ENV, CNI_COMMAND: "ADD" }, stdin: CONF });
    const del = peakRss({ argv, env: { ...CNI_ENV, CNI_COMMAND: "DEL" }, stdin: CONF });
    return `| ${name} | ${add} | ${del} |`;
  });
  const [ipAdd, ipSet, ipDel] = ipCycle();
  rss.push(
    `| iproute2: \`ip tuntap add\`, \`ip link set\` / \`ip tuntap del\` | ${peakRss(ipAdd!)}, ${
      peakRss(ipSet!)
    } | ${peakRss(ipDel!)} |`,
  );

  const md = `# Benchmarks

Made by \`npm run bench\` (\`bun bench/run.ts\`), which rewrites this file. Every ratio compares a
workload with its baseline measured in the same run, A and B alternated after a warm-up; the
ratio is the median of the per-pair ratios (below 1 is faster than the baseline).

## Machine

${machine()}

## (a), (b), (c): one tap, process by process

${header}
${[...a, floor, ...b, ...c].map(row).join("\n")}

The CNI cycle is two processes (ADD, DEL); the iproute2 baseline is three (\`ip tuntap add\`,
\`ip link set\`, \`ip tuntap del\`) doing the same device work. The floor row is two compiled Bun
processes doing that device work through the core alone, with no CNI layer: no compiled Bun
plugin can be faster.

## (d) Library batch: create, then delete, N taps in one process

| N | create µs per device | delete µs per device |
| --- | --- | --- |
${d.map((x) => `| ${x.n} | ${fmt(x.createUs)} | ${fmt(x.deleteUs)} |`).join("\n")}

Growth of the create cost from N=${sizes[0]} to N=${sizes.at(-1)}: ${
    (d.at(-1)!.createUs / d[0]!.createUs).toFixed(2)
  }× per device (linear means about 1×).

## (e) ${QUICK ? 5 : 100} concurrent CNI ADDs into as many netns, then as many DELs (dist/tap)

| ADD wave ms | DEL wave ms | failures and leftovers |
| --- | --- | --- |
| ${fmt(e.addMs)} | ${fmt(e.delMs)} | ${e.failures} |

## (f) Peak RSS per process (GNU time's %M)

| runtime | ADD MiB | DEL MiB |
| --- | --- | --- |
${rss.join("\n")}

## Where the time of one dist/tap call goes

Each rung runs one more piece of the CNI path than the one above it (wall ms, min / median / max):

| rung | ms |
| --- | --- |
${ladder.map(([n, xs]) => `| ${n} | ${stats(xs)} |`).join("\n")}

The kernel's own work is in (d): creating a configured tap costs about ${
    fmt(d[0]!.createUs / 1000)
  } ms, deleting
one about ${
    fmt(d[0]!.deleteUs / 1000)
  } ms (unregistering a netdev waits for RCU grace periods), the same for
iproute2 and for tap.
`;
  writeFileSync(OUT, md + (QUICK ? "" : readNotes()));
  process.stderr.write(`wrote ${OUT}\n`);
} finally {
  Bun.spawnSync(["ip", "netns", "del", NS]);
  rmSync(dataDir, { recursive: true, force: true });
}

/** The hand-written analysis kept below the generated tables (bench/notes.md). */
function readNotes(): string {
  try {
    return "\n" + readFileSync(`${ROOT}/bench/notes.md`, "utf8");
  } catch {
    return "";
  }
}
