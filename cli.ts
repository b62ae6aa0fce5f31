#!/usr/bin/env -S sh -c 'f=$(readlink -f "$0");d=${f%/*}/node_modules/.bin/deno;[ -x "$d" ]||d=deno;exec "$d" run --no-prompt --allow-ffi --allow-env --allow-run --allow-read=/etc/passwd,/etc/group,/var/run/netns "$f" "$@"'
/**
 * The `tap` command: a CNI plugin when CNI_COMMAND is set, otherwise the human CLI.
 *
 * The shebang runs Deno from the node_modules beside this file (symlinks resolved, so a link in
 * /opt/cni/bin works), or else from PATH. It must stay under the kernel's 255-byte shebang limit,
 * so it grants all of the environment; README lists the narrower set the CNI path needs. `bun cli.ts` works too. Only what a command needs is
 * imported: `--help`, `--version`, `completion` and usage errors never load libc.
 *
 * @module
 */
import { writeSync } from "node:fs";
import process from "node:process";
import type { ParseArgsConfig } from "node:util";
import { VERSION } from "./core/version.ts";
import { TapError } from "./ffi/errors.ts";
import type { CreateTapOptions, SetTapOptions, TapInfo } from "./core/tap.ts";

/** Exit statuses, documented in README. */
const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3, denied: 4 } as const;

/** A command-line mistake: printed as one line, exit status 2. */
class UsageError extends Error {
  constructor(readonly command: string, detail: string) {
    super(`Invalid arguments for "tap${command ? " " + command : ""}": ${detail}`);
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values = Record<string, string | boolean | undefined>;

interface Command {
  usage: string;
  summary: string;
  help: string;
  options: Options;
  run(positionals: string[], values: Values): Promise<number | void>;
}

const NETNS: Options = { netns: { type: "string", short: "n" } };
const JSON_OPT: Options = { json: { type: "boolean", short: "j" } };
const NETNS_HELP =
  "  -n, --netns NS          network namespace: a name under /var/run/netns, or a path";
const OWNER_OPTS: Options = {
  owner: { type: "string" },
  user: { type: "string" },
  group: { type: "string" },
};
const LINK_OPTS: Options = {
  mtu: { type: "string" },
  mac: { type: "string" },
  txqueuelen: { type: "string" },
  bridge: { type: "string" },
  up: { type: "boolean" },
};

const COMMANDS: Record<string, Command> = {
  create: {
    usage: "tap create NAME [options]",
    summary: "create persistent tun/tap devices",
    help: `Options:
  --mode tap|tun          device mode (default tap)
  --multiqueue            one fd per queue (IFF_MULTI_QUEUE; also --multi-queue)
  --vnet-hdr              virtio-net header (the default)
  --no-vnet-hdr           no virtio-net header
  --pi                    4-byte packet-information header (off by default, as in ip tuntap)
  --owner UID|USER        owning user, by number or name (also --user)
  --group GID|GROUP       owning group, by number or name
  --mtu N                 MTU (68 to 65521 for a tap, 65535 for a tun; default 1500)
  --mac MAC               MAC address, e.g. 02:00:00:00:00:01 (default random)
  --txqueuelen N          transmit queue length (default 1000)
  --bridge BR             make it a port of bridge BR (in the same namespace)
  --up                    bring the link up
  --count N               create N devices; NAME must be a template such as vm%d
${NETNS_HELP}
  -j, --json              print the created device (with --count, an array) as JSON

NAME may be a template such as 'vm%d': the kernel picks the number and the
chosen name is printed. An existing NAME is an error; it is never attached to.
If any device of a --count batch fails, the ones already made are removed.

Examples:
  tap create tap0 --multiqueue --owner 1000 --group 1000
  tap create vm%d --owner qemu --group kvm --mtu 9000 --up
  tap create vm%d --count 4 --bridge br0 --up
  tap create t0 --netns blue --mac 02:00:00:00:00:01 --json`,
    options: {
      mode: { type: "string" },
      multiqueue: { type: "boolean" },
      "multi-queue": { type: "boolean" },
      "vnet-hdr": { type: "boolean" },
      "no-vnet-hdr": { type: "boolean" },
      pi: { type: "boolean" },
      count: { type: "string" },
      ...OWNER_OPTS,
      ...LINK_OPTS,
      ...NETNS,
      ...JSON_OPT,
    },
    async run(pos, v) {
      const name = onePositional("create", pos, "NAME");
      if (v["vnet-hdr"] && v["no-vnet-hdr"]) {
        throw new UsageError("create", "give --vnet-hdr or --no-vnet-hdr, not both");
      }
      const count = v.count === undefined ? 1 : integer("create", "--count", v.count, 1);
      if (count > 1 && !name.includes("%d")) {
        throw new UsageError("create", `--count needs a template NAME such as "${name}%d"`);
      }
      const opts: CreateTapOptions = {
        name,
        mode: mode(v.mode),
        multiQueue: Boolean(v.multiqueue || v["multi-queue"]),
        vnetHdr: !v["no-vnet-hdr"],
        pi: Boolean(v.pi),
        up: Boolean(v.up),
        netns: str(v.netns),
        mtu: optionalInteger("create", "--mtu", v.mtu),
        txqueuelen: optionalInteger("create", "--txqueuelen", v.txqueuelen),
        mac: str(v.mac),
        bridge: str(v.bridge),
        ...(await ids("create", v)),
      };
      const { createTap, deleteTap } = await import("./core/tap.ts");
      const made: TapInfo[] = [];
      try {
        for (let i = 0; i < count; i++) made.push(createTap(opts));
      } catch (err) {
        for (const t of made) deleteTap(t.name, { netns: opts.netns });
        throw err;
      }
      if (v.json) out(JSON.stringify(v.count === undefined ? made[0] : made, null, 2));
      else out(made.map((t) => t.name).join("\n"));
    },
  },
  delete: {
    usage: "tap delete NAME... [-n NS] | --all --yes",
    summary: "delete tun/tap devices",
    help: `Options:
${NETNS_HELP}
  --all                   delete every tun/tap device in the namespace (needs --yes)
  --yes                   confirm --all

Devices are removed through rtnetlink, whatever flags they were created with.
A device that is not a tun/tap (eth0, a veth, a bridge) is refused and kept.
With several names, each is tried; the exit status is that of the last failure.

Examples:
  tap delete tap0
  tap delete vm0 vm1 vm2 --netns blue
  tap delete --all --yes --netns blue`,
    options: { all: { type: "boolean" }, yes: { type: "boolean" }, ...NETNS },
    async run(pos, v) {
      if (v.all && pos.length > 0) throw new UsageError("delete", "give names or --all, not both");
      if (v.all && !v.yes) {
        throw new UsageError("delete", "--all deletes every tun/tap in the namespace; add --yes");
      }
      if (!v.all && pos.length === 0) throw new UsageError("delete", "missing NAME");
      const { deleteTap, listTaps } = await import("./core/tap.ts");
      const netns = str(v.netns);
      const names = v.all ? listTaps({ netns }).map((t) => t.name) : pos;
      let status: number = EXIT.ok;
      for (const name of names) {
        try {
          deleteTap(name, { netns });
        } catch (err) {
          if (!(err instanceof TapError)) throw err;
          report(false, err.message, {});
          status = exitFor(err);
        }
      }
      return status;
    },
  },
  list: {
    usage: "tap list [-n NS | --all-netns] [--json]",
    summary: "list the tun/tap devices of a namespace",
    help: `Options:
${NETNS_HELP}
  --all-netns             every namespace under /var/run/netns, and the current one
  -j, --json              print a JSON array (schema in README)

One line per device, in the habits of ip tuntap show: name, mode and flags,
owner and group (names where /etc/passwd and /etc/group know them), mtu, mac,
bridge and state. With --all-netns each namespace gets a "netns NAME:" heading
and each JSON object a "netns" field (null for the current namespace).

Examples:
  tap list
  tap list --netns blue --json
  tap list --all-netns`,
    options: { "all-netns": { type: "boolean" }, ...NETNS, ...JSON_OPT },
    async run(pos, v) {
      if (pos.length > 0) throw new UsageError("list", `unexpected argument "${pos[0]}"`);
      if (v["all-netns"] && v.netns !== undefined) {
        throw new UsageError("list", "give --netns or --all-netns, not both");
      }
      const { listTaps } = await import("./core/tap.ts");
      if (!v["all-netns"]) {
        const taps = listTaps({ netns: str(v.netns) });
        if (v.json) out(JSON.stringify(taps, null, 2));
        else if (taps.length > 0) out(await formatTaps(taps));
        return;
      }
      const groups = await allNetnsTaps(listTaps);
      if (v.json) {
        out(
          JSON.stringify(
            groups.flatMap(([netns, taps]) => taps.map((t) => ({ ...t, netns }))),
            null,
            2,
          ),
        );
        return;
      }
      const text: string[] = [];
      for (const [netns, taps] of groups) {
        if (taps.length === 0) continue;
        text.push(
          netns === null ? "netns (current):" : `netns ${netns}:`,
          await formatTaps(taps),
        );
      }
      if (text.length > 0) out(text.join("\n"));
    },
  },
  show: {
    usage: "tap show NAME [-n NS] [--json]",
    summary: "show one tun/tap device",
    help: `Options:
${NETNS_HELP}
  -j, --json              print the device as JSON

Exit status 3 when there is no such device.

Examples:
  tap show tap0
  tap show t0 --netns blue --json`,
    options: { ...NETNS, ...JSON_OPT },
    async run(pos, v) {
      const name = onePositional("show", pos, "NAME");
      const { getTap } = await import("./core/tap.ts");
      const tap = getTap(name, { netns: str(v.netns) });
      out(v.json ? JSON.stringify(tap, null, 2) : await formatTaps([tap]));
    },
  },
  set: {
    usage: "tap set NAME [options]",
    summary: "change an existing tun/tap device",
    help: `Options:
  --mtu N                 MTU
  --mac MAC               MAC address
  --owner UID|USER        owning user (also --user); takes effect for the next open
  --group GID|GROUP       owning group
  --up | --down           bring the link up or down
  --txqueuelen N          transmit queue length
  --bridge BR             make it a port of bridge BR
  --nobridge              leave its bridge
${NETNS_HELP}
  -j, --json              print the device afterwards as JSON

Owner and group are set on the device itself, by attaching with its exact
flags; a single-queue tap held open by a program (a running VM) cannot be
attached to, and the change fails with EBUSY.

Examples:
  tap set tap0 --mtu 9000 --up
  tap set tap0 --owner qemu --group kvm
  tap set vm0 --bridge br0 --netns blue`,
    options: {
      ...OWNER_OPTS,
      ...LINK_OPTS,
      down: { type: "boolean" },
      nobridge: { type: "boolean" },
      ...NETNS,
      ...JSON_OPT,
    },
    async run(pos, v) {
      const name = onePositional("set", pos, "NAME");
      if (v.up && v.down) throw new UsageError("set", "give --up or --down, not both");
      if (v.bridge !== undefined && v.nobridge) {
        throw new UsageError("set", "give --bridge or --nobridge, not both");
      }
      const opts: SetTapOptions = {
        netns: str(v.netns),
        mtu: optionalInteger("set", "--mtu", v.mtu),
        txqueuelen: optionalInteger("set", "--txqueuelen", v.txqueuelen),
        mac: str(v.mac),
        up: v.up ? true : v.down ? false : undefined,
        bridge: v.nobridge ? null : str(v.bridge),
        ...(await ids("set", v)),
      };
      const changes = Object.entries(opts).filter(([k, x]) => k !== "netns" && x !== undefined);
      if (changes.length === 0) {
        throw new UsageError("set", 'nothing to change; see "tap set --help"');
      }
      const { setTap } = await import("./core/tap.ts");
      const tap = setTap(name, opts);
      if (v.json) out(JSON.stringify(tap, null, 2));
    },
  },
  install: {
    usage: "tap install [--cni-bin-dir DIR] [--force] [--wait]",
    summary: 'install this binary as the CNI plugin "tap"',
    help: `Options:
  --cni-bin-dir DIR       the CNI plugin directory (default /opt/cni/bin)
  --force                 replace a file of another program (e.g. the Go tap plugin)
  --wait                  stay running afterwards (for a DaemonSet container)

Copies the running binary (dist/tap, from npm run build) to DIR/tap atomically:
a temp file in DIR, fsync, then rename, so a runtime never execs half a file.
An older tap there is replaced; any other file only with --force.

Examples:
  sudo dist/tap install
  dist/tap install --cni-bin-dir /host/opt/cni/bin --wait`,
    options: {
      "cni-bin-dir": { type: "string" },
      force: { type: "boolean" },
      wait: { type: "boolean" },
    },
    async run(pos, v) {
      if (pos.length > 0) throw new UsageError("install", `unexpected argument "${pos[0]}"`);
      const { isCompiledBinary } = await import("./core/spawn.ts");
      if (!isCompiledBinary()) {
        throw new UsageError(
          "install",
          'only the compiled binary installs itself; build it with "npm run build" and run dist/tap install',
        );
      }
      const { installPlugin } = await import("./core/install.ts");
      const dir = str(v["cni-bin-dir"]) ?? "/opt/cni/bin";
      const r = installPlugin({ source: process.execPath, dir, force: Boolean(v.force) });
      out(
        `Installed ${r.path}${
          r.replaced === "nothing"
            ? ""
            : ` (replaced ${r.replaced === "tap" ? "an earlier tap" : "another program"})`
        }`,
      );
      if (v.wait) {
        await new Promise<never>(() => {
          // The container stays up until SIGTERM; the default handler ends it.
          setInterval(() => {}, 1 << 30);
        });
      }
    },
  },
  completion: {
    usage: "tap completion bash|zsh",
    summary: "print a shell completion script",
    help: `Load it in the current shell, or install it:
  source <(tap completion bash)
  tap completion bash > /etc/bash_completion.d/tap
  tap completion zsh > "\${fpath[1]}/_tap"`,
    options: {},
    run(pos) {
      const shell = onePositional("completion", pos, "SHELL");
      if (shell !== "bash" && shell !== "zsh") {
        throw new UsageError("completion", `unknown shell "${shell}"; use bash or zsh`);
      }
      out(completion(shell));
      return Promise.resolve();
    },
  },
};

/** ip/tunctl habits: `tap add`, `tap del`, `tap ls`. */
const ALIASES: Record<string, string> = { add: "create", del: "delete", rm: "delete", ls: "list" };

const MAIN_HELP = `tap ${VERSION}: create and manage Linux tun/tap devices

Usage:
${Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(42)} ${c.summary}`).join("\n")}
  ${"tap help [COMMAND]".padEnd(42)} show help
  ${"tap --version".padEnd(42)} print the version

Run "tap COMMAND --help" for the options and examples of a command.
Aliases: add = create, del/rm = delete, ls = list.
With CNI_COMMAND set in the environment, tap runs as a CNI plugin instead.

Exit status: 0 ok, 1 failed, 2 usage error, 3 device or namespace not found,
4 permission denied.`;

function commandHelp(name: string): string {
  const c = COMMANDS[name]!;
  return `Usage: ${c.usage}\n\n${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.\n\n${c.help}`;
}

function completion(shell: "bash" | "zsh"): string {
  const words = (c: string): string =>
    Object.keys(COMMANDS[c]!.options).map((o) => `--${o}`).concat("--help").join(" ");
  const commands = [...Object.keys(COMMANDS), "help"].join(" ");
  const aliasesOf = (c: string): string[] =>
    Object.entries(ALIASES).filter(([, to]) => to === c).map(([from]) => from);
  const cases = Object.keys(COMMANDS).filter((c) => c !== "completion")
    .map((c) => `    ${[c, ...aliasesOf(c)].join("|")}) opts="${words(c)}" ;;`).join("\n");
  const bash = `# bash completion for tap
_tap() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmd=\${COMP_WORDS[1]} opts
  if [ "$COMP_CWORD" -eq 1 ]; then COMPREPLY=($(compgen -W "${commands} --help --version" -- "$cur")); return; fi
  case "$prev" in
    -n|--netns) COMPREPLY=($(compgen -W "$(ls /var/run/netns 2>/dev/null)" -- "$cur")); return ;;
    --owner|--user) COMPREPLY=($(compgen -u -- "$cur")); return ;;
    --group) COMPREPLY=($(compgen -g -- "$cur")); return ;;
    --mode) COMPREPLY=($(compgen -W "tap tun" -- "$cur")); return ;;
    --bridge) COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")); return ;;
  esac
  case "$cmd" in
${cases}
    help) opts="${Object.keys(COMMANDS).join(" ")}" ;;
    completion) opts="bash zsh" ;;
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _tap tap`;
  if (shell === "bash") return bash;
  return `#compdef tap\n# zsh completion for tap, through bash's\nautoload -U +X bashcompinit && bashcompinit\n${bash}`;
}

function str(v: string | boolean | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function mode(v: string | boolean | undefined): "tap" | "tun" {
  if (v === undefined || v === "tap" || v === "tun") return v ?? "tap";
  throw new UsageError("create", `--mode must be "tap" or "tun", not "${v}"`);
}

function onePositional(command: string, pos: string[], what: string): string {
  if (pos.length === 0) throw new UsageError(command, `missing ${what}`);
  if (pos.length > 1) throw new UsageError(command, `unexpected argument "${pos[1]}"`);
  return pos[0]!;
}

function integer(command: string, flag: string, text: string | boolean, min = 0): number {
  if (typeof text !== "string" || !/^\d+$/.test(text) || Number(text) < min) {
    throw new UsageError(command, `${flag} must be a whole number, not "${text}"`);
  }
  return Number(text);
}

function optionalInteger(command: string, flag: string, text: string | boolean | undefined) {
  return text === undefined ? undefined : integer(command, flag, text);
}

/** --owner/--user and --group, resolved by number or by name. */
async function ids(command: string, v: Values): Promise<{ owner?: number; group?: number }> {
  if (v.owner !== undefined && v.user !== undefined) {
    throw new UsageError(command, "give --owner or --user, not both");
  }
  const { resolveId } = await import("./core/users.ts");
  const result: { owner?: number; group?: number } = {};
  for (
    const [key, spec, kind] of [
      ["owner", str(v.owner ?? v.user), "user"],
      ["group", str(v.group), "group"],
    ] as const
  ) {
    if (spec === undefined) continue;
    const id = resolveId(spec, kind);
    if (typeof id === "string") {
      throw new TapError(`Cannot resolve ${kind} "${spec}"`, id, { errno: 22, invalidInput: true });
    }
    result[key] = id;
  }
  return result;
}

/**
 * Writes a line to stdout. Synchronous on purpose: Bun spends about 14 ms setting up
 * process.stdout, more than the rest of a command, and nothing is lost on exit.
 */
function out(text: string): void {
  try {
    writeSync(1, text + "\n");
  } catch (err) {
    // The reader went away (`tap list | head -1`): nothing left to say, and nothing failed.
    if ((err as { code?: string }).code === "EPIPE") process.exit(0);
    throw err;
  }
}

/**
 * The taps of the current netns and of every one under /var/run/netns. A netns that vanishes
 * meanwhile, or an entry that is not one (a stale file), is skipped with a warning rather than
 * failing the listing; a named netns that is the current one is listed once, under its name.
 */
async function allNetnsTaps(
  listTaps: typeof import("./core/tap.ts").listTaps,
): Promise<[string | null, TapInfo[]][]> {
  const { readdirSync } = await import("node:fs");
  const { currentNetnsId, NETNS_RUN_DIR, openNetns } = await import("./ffi/netns.ts");
  let names: string[] = [];
  try {
    names = readdirSync(NETNS_RUN_DIR).sort();
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOENT") {
      throw new TapError(`Cannot read "${NETNS_RUN_DIR}"`, (err as Error).message, { errno: 13 });
    }
  }
  const groups: [string | null, TapInfo[]][] = [[null, listTaps()]];
  const current = currentNetnsId();
  for (const name of names) {
    let ns;
    try {
      ns = openNetns(name);
    } catch (err) {
      if (!(err instanceof TapError)) throw err;
      writeSync(2, `tap: skipping netns "${name}": ${err.detail}\n`);
      continue;
    }
    try {
      // The current netns has a name too: give it that name rather than listing it twice.
      if (ns.id !== current) groups.push([name, listTaps({ netns: ns })]);
      else if (groups[0]![0] === null) groups[0]![0] = name;
    } finally {
      ns.close();
    }
  }
  return groups;
}

/** One `ip tuntap show`-style line per device. */
async function formatTaps(taps: TapInfo[]): Promise<string> {
  const { parseIdFile } = await import("./core/users.ts");
  const { readFileSync } = await import("node:fs");
  const names = (file: string): Map<number, string> => {
    try {
      return new Map(parseIdFile(readFileSync(file, "utf8")).map((e) => [e.id, e.name]));
    } catch {
      return new Map();
    }
  };
  const users = names("/etc/passwd");
  const groups = names("/etc/group");
  return taps.map((t) => {
    const parts = [`${t.name}:`, ...t.flags];
    if (t.owner !== null) parts.push("user", users.get(t.owner) ?? String(t.owner));
    if (t.group !== null) parts.push("group", groups.get(t.group) ?? String(t.group));
    parts.push("mtu", String(t.mtu));
    if (t.mac !== null) parts.push("mac", t.mac);
    if (t.bridge !== null) parts.push("bridge", t.bridge);
    parts.push(t.up ? "up" : "down");
    return parts.join(" ");
  }).join("\n");
}

function exitFor(err: TapError): number {
  if (err.code === "ENODEV" || err.code === "ENOENT") return EXIT.notFound;
  if (err.code === "EPERM" || err.code === "EACCES") return EXIT.denied;
  if (err.invalidInput) return EXIT.usage;
  return EXIT.failed;
}

/** Runs the human CLI; returns the exit status. */
async function cliMain(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  const json = rest.includes("--json") || rest.includes("-j");
  if (first === undefined) {
    writeSync(2, MAIN_HELP + "\n");
    return EXIT.usage;
  }
  if (first === "-h" || first === "--help") {
    out(MAIN_HELP);
    return EXIT.ok;
  }
  if (first === "-V" || first === "--version") {
    out(`tap ${VERSION}`);
    return EXIT.ok;
  }
  if (first === "help") {
    const topic = rest[0] && (ALIASES[rest[0]] ?? rest[0]);
    if (topic === undefined) out(MAIN_HELP);
    else if (topic in COMMANDS) out(commandHelp(topic));
    else return usageFailure(new UsageError("help", `unknown command "${topic}"`), false);
    return EXIT.ok;
  }
  const name = ALIASES[first] ?? first;
  const command = COMMANDS[name];
  if (command === undefined) {
    return usageFailure(new UsageError("", `unknown command "${first}"; see "tap --help"`), json);
  }
  try {
    let parsed;
    try {
      // Imported here: node:util costs start-up time that the CNI path does not need.
      const { parseArgs } = await import("node:util");
      parsed = parseArgs({
        args: rest,
        options: { ...command.options, help: { type: "boolean", short: "h" } },
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw new UsageError(name, parseArgsProblem(err as Error));
    }
    if (parsed.values.help) {
      out(commandHelp(name));
      return EXIT.ok;
    }
    return (await command.run(parsed.positionals, parsed.values as Values)) ?? EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(err, json);
    if (!(err instanceof TapError)) {
      // Not a device error (libc could not be loaded, a bug): still one line, with the stack on
      // request.
      if (process.env.TAP_DEBUG) writeSync(2, `${(err as Error).stack}\n`);
      report(json, `tap: ${err instanceof Error ? err.message : String(err)}`, {
        code: "EINTERNAL",
      });
      return EXIT.failed;
    }
    report(json, err.message, { code: err.code, errno: err.errno, syscall: err.syscall ?? null });
    return exitFor(err);
  }
}

/** node:util's messages, reworded into the house style: `unknown option "--foo"`. */
function parseArgsProblem(err: Error): string {
  const ambiguous = err.message.match(/^Option '([^']+)' argument is ambiguous/);
  if (ambiguous) {
    const opt = ambiguous[1];
    return `option "${opt}" needs a value (one that starts with "-" is written ${opt}=VALUE)`;
  }
  // Only the first sentence: node:util adds advice lines that do not fit one-line errors.
  const first = err.message.split("\n")[0]!.replace(/\. To specify .*$/, "").replace(/\.$/, "");
  const m = first.replace(/'([^']*)'/g, '"$1"');
  return m[0]!.toLowerCase() + m.slice(1);
}

function usageFailure(err: UsageError, json: boolean): number {
  report(json, err.message, { code: "EUSAGE" });
  return EXIT.usage;
}

function report(json: boolean, message: string, extra: Record<string, unknown>): void {
  writeSync(2, json ? JSON.stringify({ error: { message, ...extra } }) + "\n" : `${message}\n`);
}

if (process.argv[2] === "__create-labeled") {
  // The child of a create under an SELinux label (LABELED_CHILD_ARG in core/labeled.ts): checked
  // first, since it runs with the plugin's CNI_* environment.
  const { labeledChildMain } = await import("./core/labeled.ts");
  process.exit(labeledChildMain());
} else if (
  // CNI mode: CNI_COMMAND set, or set but empty with no arguments (a runtime that lost the
  // command gets the spec's code 4 error, not the help text).
  process.env.CNI_COMMAND || (process.env.CNI_COMMAND === "" && process.argv.length <= 2)
) {
  const { pluginMain } = await import("./cni/main.ts");
  // Every write of the plugin is synchronous, so exiting at once loses nothing, and it saves the
  // runtime's shutdown of a one-shot process (about 6 ms of Bun's).
  process.exit(await pluginMain());
} else {
  process.exitCode = await cliMain(process.argv.slice(2));
}
