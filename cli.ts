#!/usr/bin/env -S sh -c 'f=$(readlink -f "$0"); d=${f%/*}/node_modules/.bin/deno; [ -x "$d" ] || d=deno; exec "$d" run --no-prompt --allow-ffi --allow-env --allow-run --allow-read=/etc/passwd,/etc/group "$f" "$@"'
/**
 * The `tap` command: a CNI plugin when CNI_COMMAND is set, otherwise the human CLI.
 *
 * The shebang runs Deno from the node_modules beside this file (symlinks resolved, so a link in
 * /opt/cni/bin works), or else from PATH. `bun cli.ts` works too.
 * Only what a command needs is imported: `--help` and `--version` never load libc.
 *
 * @module
 */
import process from "node:process";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { VERSION } from "./core/version.ts";
import { TapError } from "./ffi/errors.ts";
import type { CreateTapOptions, TapInfo } from "./core/tap.ts";

/** Exit statuses, documented in README. */
const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3, denied: 4 } as const;

/** A command-line mistake: printed as one line, exit status 2. */
class UsageError extends Error {
  constructor(readonly command: string, detail: string) {
    super(`Invalid arguments for "tap${command ? " " + command : ""}": ${detail}`);
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

interface Command {
  usage: string;
  summary: string;
  help: string;
  options: Options;
  run(positionals: string[], values: Values): Promise<void>;
}

type Values = Record<string, string | boolean | undefined>;

const NETNS: Options = { netns: { type: "string", short: "n" } };
const JSON_OPT: Options = { json: { type: "boolean", short: "j" } };

const COMMANDS: Record<string, Command> = {
  create: {
    usage: "tap create NAME [options]",
    summary: "create a persistent tun/tap device",
    help: `Options:
  --mode tap|tun        device mode (default tap)
  --multiqueue          one fd per queue (IFF_MULTI_QUEUE)
  --owner UID|USER      owning user, by number or name (alias --user)
  --group GID|GROUP     owning group, by number or name
  --mtu N               MTU (68-65535; default 1500)
  --mac MAC             MAC address, e.g. 02:00:00:00:00:01 (default random)
  --no-vnet-hdr         no virtio-net header (it is on by default)
  --pi                  packet-information header (off by default, as in ip tuntap)
  --up                  bring the link up
  -n, --netns NS        network namespace: a name under /var/run/netns, or a path
  -j, --json            print the created device as JSON

NAME may be a template such as 'vm%d'; the kernel picks the number and the
chosen name is printed. An existing NAME is an error; it is never attached to.

Examples:
  tap create tap0 --multiqueue --owner 1000 --group 1000
  tap create vm%d --owner qemu --group kvm --mtu 9000 --up
  tap create t0 --netns blue --mac 02:00:00:00:00:01 --json`,
    options: {
      mode: { type: "string" },
      multiqueue: { type: "boolean" },
      "multi-queue": { type: "boolean" },
      owner: { type: "string" },
      user: { type: "string" },
      group: { type: "string" },
      mtu: { type: "string" },
      mac: { type: "string" },
      "no-vnet-hdr": { type: "boolean" },
      pi: { type: "boolean" },
      up: { type: "boolean" },
      ...NETNS,
      ...JSON_OPT,
    },
    async run(pos, v) {
      const name = onePositional("create", pos, "NAME");
      const { resolveId } = await import("./core/users.ts");
      const opts: CreateTapOptions = {
        name,
        multiQueue: Boolean(v.multiqueue || v["multi-queue"]),
        vnetHdr: !v["no-vnet-hdr"],
        pi: Boolean(v.pi),
        up: Boolean(v.up),
        netns: str(v.netns),
        mtu: v.mtu === undefined ? undefined : integer("create", "--mtu", String(v.mtu)),
        mac: str(v.mac),
      };
      if (v.mode !== undefined) {
        if (v.mode !== "tap" && v.mode !== "tun") {
          throw new UsageError("create", `--mode must be "tap" or "tun", not "${v.mode}"`);
        }
        opts.mode = v.mode;
      }
      if (v.owner !== undefined && v.user !== undefined) {
        throw new UsageError("create", "give --owner or --user, not both");
      }
      for (
        const [flag, spec, kind] of [
          ["owner", str(v.owner ?? v.user), "user"],
          ["group", str(v.group), "group"],
        ] as const
      ) {
        if (spec === undefined) continue;
        const id = resolveId(spec, kind);
        if (typeof id === "string") {
          throw new TapError(`Cannot resolve ${kind} "${spec}"`, id, { errno: 22 });
        }
        opts[flag] = id;
      }
      const { createTap } = await import("./core/tap.ts");
      const tap = createTap(opts);
      out(v.json ? JSON.stringify(tap, null, 2) : tap.name);
    },
  },
  delete: {
    usage: "tap delete NAME [-n NS]",
    summary: "delete a tun/tap device",
    help: `Options:
  -n, --netns NS        network namespace: a name under /var/run/netns, or a path

The device is removed through rtnetlink, whatever flags it was created with.
A device that is not a tun/tap (eth0, a veth, a bridge) is refused.

Examples:
  tap delete tap0
  tap delete t0 --netns blue`,
    options: { ...NETNS },
    async run(pos, v) {
      const name = onePositional("delete", pos, "NAME");
      const { deleteTap } = await import("./core/tap.ts");
      deleteTap(name, { netns: str(v.netns) });
    },
  },
  list: {
    usage: "tap list [-n NS] [--json]",
    summary: "list the tun/tap devices of a namespace",
    help: `Options:
  -n, --netns NS        network namespace: a name under /var/run/netns, or a path
  -j, --json            print a JSON array (schema in README)

One line per device: name, mode and flags, owner and group (names where
/etc/passwd and /etc/group know them), mtu, mac and state.

Examples:
  tap list
  tap list --netns blue --json`,
    options: { ...NETNS, ...JSON_OPT },
    async run(pos, v) {
      if (pos.length > 0) throw new UsageError("list", `unexpected argument "${pos[0]}"`);
      const { listTaps } = await import("./core/tap.ts");
      const taps = listTaps({ netns: str(v.netns) });
      if (v.json) out(JSON.stringify(taps, null, 2));
      else if (taps.length > 0) out(await formatTaps(taps));
    },
  },
  show: {
    usage: "tap show NAME [-n NS] [--json]",
    summary: "show one tun/tap device",
    help: `Options:
  -n, --netns NS        network namespace: a name under /var/run/netns, or a path
  -j, --json            print the device as JSON

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
};

const MAIN_HELP = `tap ${VERSION}: create and manage Linux tun/tap devices

Usage:
${Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(30)} ${c.summary}`).join("\n")}
  tap help [COMMAND]             show help
  tap --version                  print the version

Run "tap COMMAND --help" for the options of a command.
With CNI_COMMAND set in the environment, tap runs as a CNI plugin instead.

Exit status: 0 ok, 1 failed, 2 usage error, 3 device or namespace not found,
4 permission denied.`;

function commandHelp(name: string): string {
  const c = COMMANDS[name]!;
  return `Usage: ${c.usage}\n\n${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.\n\n${c.help}`;
}

function str(v: string | boolean | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function onePositional(command: string, pos: string[], what: string): string {
  if (pos.length === 0) throw new UsageError(command, `missing ${what}`);
  if (pos.length > 1) throw new UsageError(command, `unexpected argument "${pos[1]}"`);
  return pos[0]!;
}

function integer(command: string, flag: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(command, `${flag} must be a number, not "${text}"`);
  return Number(text);
}

function out(text: string): void {
  process.stdout.write(text + "\n");
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
    parts.push(t.up ? "up" : "down");
    return parts.join(" ");
  }).join("\n");
}

function exitFor(err: TapError): number {
  if (err.code === "ENODEV" || err.code === "ENOENT") return EXIT.notFound;
  if (err.code === "EPERM" || err.code === "EACCES") return EXIT.denied;
  return EXIT.failed;
}

/** Runs the human CLI; returns the exit status. */
async function cliMain(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    process.stderr.write(MAIN_HELP + "\n");
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
    const topic = rest[0];
    if (topic === undefined) out(MAIN_HELP);
    else if (topic in COMMANDS) out(commandHelp(topic));
    else return usageFailure(new UsageError("help", `unknown command "${topic}"`), false);
    return EXIT.ok;
  }
  const command = COMMANDS[first];
  if (command === undefined) {
    return usageFailure(new UsageError("", `unknown command "${first}"; see "tap --help"`), false);
  }
  const json = rest.includes("--json") || rest.includes("-j");
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        options: { ...command.options, help: { type: "boolean", short: "h" } },
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw new UsageError(first, parseArgsProblem(err as Error));
    }
    if (parsed.values.help) {
      out(commandHelp(first));
      return EXIT.ok;
    }
    await command.run(parsed.positionals, parsed.values as Values);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(err, json);
    if (!(err instanceof TapError)) throw err;
    report(json, err.message, { code: err.code, errno: err.errno, syscall: err.syscall ?? null });
    return exitFor(err);
  }
}

/** node:util's messages, reworded into the house style: `unknown option "--foo"`. */
function parseArgsProblem(err: Error): string {
  const m = err.message.replace(/\. To specify .*$/s, "").replace(/'([^']*)'/g, '"$1"');
  return m[0]!.toLowerCase() + m.slice(1);
}

function usageFailure(err: UsageError, json: boolean): number {
  report(json, `${err.message}`, { code: "EUSAGE" });
  return EXIT.usage;
}

function report(json: boolean, message: string, extra: Record<string, unknown>): void {
  process.stderr.write(
    json ? JSON.stringify({ error: { message, ...extra } }) + "\n" : `${message}\n`,
  );
}

if (process.env.CNI_COMMAND) {
  const { pluginMain } = await import("./cni/main.ts");
  process.exitCode = await pluginMain();
} else {
  process.exitCode = await cliMain(process.argv.slice(2));
}
