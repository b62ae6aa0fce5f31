/**
 * The CNI commands `cmdAdd`, `cmdDel`, `cmdCheck`, `cmdStatus` and `cmdGc`, each a thin
 * translation onto the core module. `main.ts` dispatches to them.
 *
 * Differences from the Go reference plugin, on purpose: mtu and mac are always applied (it drops
 * them when owner and group are both set); the tap is created under its final name with
 * IFF_TUN_EXCL, so an existing CNI_IFNAME fails the ADD and stays untouched (no temporary name,
 * nothing leaks); CNI_NETNS is checked before anything is created; DEL removes only tun/tap
 * devices; a layer-2 ADD at 0.1.0/0.2.0 fails before creating anything.
 *
 * @module
 */
import { TapError } from "../ffi/errors.ts";
import {
  checkCreateTap,
  createTap,
  type CreateTapOptions,
  deleteTap,
  inspectTap,
  type RouteOption,
  type TapDetails,
  type TapInfo,
} from "../core/tap.ts";
import { networkPart, parseCidr, parseIp, sameAddress } from "../core/ip.ts";
import { execIpam, type IpamRequest } from "./ipam.ts";
import { libc } from "../ffi/libc.ts";
import { O_CLOEXEC, O_RDWR } from "../ffi/consts.ts";
import { currentNetnsId, type Netns, openNetns } from "../ffi/netns.ts";
import { createTapLabeled, selinuxEnabled } from "../core/labeled.ts";
import { parseCniArgs } from "./args.ts";
import { type NetConf, resolveMac } from "./conf.ts";
import type { CniEnv } from "./env.ts";
import { CniError, ErrorCode } from "./errors.ts";
import { canExpressResult, formatResult, parsePrevResult, type Result } from "./result.ts";
import { checkVersionAllows, compareVersions } from "./version.ts";

import type { Request } from "./request.ts";
import { writeStderr } from "../core/stderr.ts";
export type { Request };

/** Turns a core error into a CNI error: input refused before any call is code 7, else 999. */
function cniFailure(err: unknown, msg: string): unknown {
  if (!(err instanceof TapError)) return err;
  const code = err.invalidInput ? ErrorCode.InvalidConfig : ErrorCode.Internal;
  return new CniError(code, msg, err.message, { cause: err });
}

/** Opens CNI_NETNS; refuses anything that is not a network namespace, and our own one. */
function openSandbox(env: CniEnv): Netns {
  let ns: Netns;
  try {
    ns = openNetns(env.netns.includes("/") ? env.netns : `./${env.netns}`);
  } catch (err) {
    if (err instanceof TapError && err.code === "EINVAL") {
      throw new CniError(ErrorCode.InvalidNetns, `invalid netns "${env.netns}"`, err.detail);
    }
    throw cniFailure(err, `failed to open netns "${env.netns}"`);
  }
  if (!env.netnsOverride && ns.id === currentNetnsId()) {
    ns.close();
    throw new CniError(
      ErrorCode.InvalidNetns,
      "plugin's netns and netns from CNI_NETNS should not be the same",
    );
  }
  return ns;
}

async function withSandbox<T>(env: CniEnv, fn: (ns: Netns) => T | Promise<T>): Promise<T> {
  // Holding the netns fd open is not the netns window: the thread never moves here.
  const ns = openSandbox(env);
  try {
    return await fn(ns);
  } finally {
    ns.close();
  }
}

/**
 * Fails unless SELinux can honour the label, before IPAM or anything else runs: a label that was
 * asked for is never dropped.
 */
function assertSelinux(conf: NetConf): void {
  if (conf.selinuxContext && !selinuxEnabled()) {
    throw new CniError(
      ErrorCode.UnsupportedField,
      `unsupported field: selinuxContext "${conf.selinuxContext}"`,
      "SELinux is not enabled on this host, so the tap cannot be created under that label",
    );
  }
}

/** Refuses what cannot be served before anything is created. */
function preflightAdd(req: Request): void {
  const { conf } = req;
  if (!canExpressResult(Boolean(conf.ipam?.type), conf.cniVersion)) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      "incompatible CNI versions",
      `a tap without ipam has no IP address, which a ${conf.cniVersion} result cannot express; ` +
        "use cniVersion 0.3.0 or later, or configure ipam",
    );
  }
  assertSelinux(conf);
}

/** The IPAM delegation of this request, or undefined when no `ipam.type` is configured. */
function ipamOf(req: Request): IpamRequest | undefined {
  const type = req.conf.ipam?.type;
  return type
    ? { type, env: req.env, stdin: req.stdin, cniVersion: req.conf.cniVersion }
    : undefined;
}

/** Releases an IPAM allocation after a failed ADD; its own failure is reported, not thrown. */
async function releaseIpam(ipam: IpamRequest): Promise<void> {
  try {
    await execIpam("DEL", ipam);
  } catch (err) {
    writeStderr(
      `tap: IPAM DEL after a failed ADD failed too: ${(err as Error).message}\n`,
    );
  }
}

/** The routes to install: a route without a gateway gets the first gateway of its family. */
function routesFor(ipam: Result): RouteOption[] {
  const gateway = (family: number): string | undefined =>
    ipam.ips.find((ip) => ip.gateway && parseIp(ip.gateway)?.family === family)?.gateway;
  return ipam.routes.map((r) => {
    const family = parseCidr(r.dst)?.family ?? 4;
    const route: RouteOption = { dst: r.dst, gw: r.gw ?? gateway(family) };
    for (const k of ["priority", "table", "scope", "mtu", "advmss"] as const) {
      if (r[k] !== undefined) route[k] = r[k];
    }
    return route;
  });
}

function previous(conf: NetConf): Result {
  return conf.prevResult === undefined
    ? { interfaces: [], ips: [], routes: [] }
    : parsePrevResult(conf.prevResult, conf.cniVersion);
}

/**
 * ADD: creates the tap CNI_IFNAME in CNI_NETNS, persistent and up, and returns the result text.
 *
 * @example Usage
 * ```ts
 * import { cmdAdd } from "./plugin.ts";
 * declare const req: import("./request.ts").Request;
 * console.log(await cmdAdd(req));
 * ```
 */
export function cmdAdd(req: Request): Promise<string> {
  const { env, conf } = req;
  const args = parseCniArgs(env.args);
  const mac = resolveMac(conf, args);
  preflightAdd(req);
  const ipam = ipamOf(req);
  // With IPAM, bad options are refused before an address is handed out; without, createTap's
  // own check comes first anyway.
  if (ipam) {
    try {
      checkCreateTap(tapOptions(req, mac));
    } catch (err) {
      throw cniFailure(err, `failed to create tap "${env.ifname}"`);
    }
  }
  const prev = previous(conf);
  return withSandbox(env, async (ns) => {
    // IPAM runs here, outside any netns window: the sandbox fd is only held open.
    const got = ipam ? await execIpam("ADD", ipam) : undefined;
    try {
      if (got && got.ips.length === 0) {
        throw new CniError(ErrorCode.Internal, "IPAM plugin returned missing IP config");
      }
      const tap = await createInSandbox(req, ns, mac, got);
      try {
        return formatResult(resultOf(req, prev, tap, got), conf.cniVersion);
      } catch (err) {
        deleteTap(tap.name, { netns: ns });
        throw err;
      }
    } catch (err) {
      if (ipam) await releaseIpam(ipam);
      throw err;
    }
  });
}

/** The createTap options of this request; IPAM's addresses and routes are added later. */
function tapOptions(req: Request, mac: string | undefined): CreateTapOptions {
  const { env, conf } = req;
  return {
    name: env.ifname,
    multiQueue: conf.multiQueue,
    vnetHdr: true,
    owner: conf.owner,
    group: conf.group,
    mtu: conf.mtu,
    mac,
    up: true,
    bridge: conf.bridge,
  };
}

async function createInSandbox(
  req: Request,
  ns: Netns,
  mac: string | undefined,
  ipam?: Result,
): Promise<TapInfo> {
  const { env, conf } = req;
  const options = {
    ...tapOptions(req, mac),
    netns: ns,
    addresses: ipam?.ips.map((ip) => ip.address),
    routes: ipam ? routesFor(ipam) : undefined,
    // As the reference plugin: gratuitous ARP on up, when the tap has addresses.
    arpNotify: ipam ? true : undefined,
  };
  try {
    // Under a label, this program runs again in the label's context for the create.
    return conf.selinuxContext
      ? await createTapLabeled(options, conf.selinuxContext)
      : createTap(options);
  } catch (err) {
    if (err instanceof TapError && err.code === "EBUSY") {
      throw new CniError(
        ErrorCode.Internal,
        `interface "${env.ifname}" already exists in netns "${env.netns}"`,
        err.message,
      );
    }
    throw cniFailure(err, `failed to create tap "${env.ifname}"`);
  }
}

/** prevResult's interfaces, IPs and routes, then ours; our IPs point at our interface. */
function resultOf(req: Request, prev: Result, tap: TapInfo, ipam?: Result): Result {
  const { env, conf } = req;
  const index = prev.interfaces.length;
  const result: Result = {
    interfaces: [
      ...prev.interfaces,
      // Interface mtu is a 1.1.0 field; older results do not carry it.
      compareVersions(conf.cniVersion, "1.1.0") >= 0
        ? { name: tap.name, mac: tap.mac!, mtu: tap.mtu, sandbox: env.netns }
        : { name: tap.name, mac: tap.mac!, sandbox: env.netns },
    ],
    ips: [...prev.ips, ...(ipam?.ips ?? []).map((ip) => ({ ...ip, interface: index }))],
    routes: [...prev.routes, ...(ipam?.routes ?? [])],
  };
  // As the reference and the other main plugins: the config's dns, not IPAM's.
  const dns = conf.dns ?? prev.dns;
  if (dns !== undefined) result.dns = dns;
  return result;
}

/**
 * DEL: removes the tap. Idempotent: an empty or vanished CNI_NETNS and a missing device are
 * success; a device of another kind under that name is left alone.
 *
 * @example Usage
 * ```ts
 * import { cmdDel } from "./plugin.ts";
 * declare const req: import("./request.ts").Request;
 * await cmdDel(req);
 * ```
 */
export async function cmdDel(req: Request): Promise<void> {
  const { env } = req;
  parseCniArgs(env.args);
  // IPAM first, even when the netns is gone; its failure aborts DEL and keeps the tap, so a
  // retried DEL can release the lease.
  const ipam = ipamOf(req);
  if (ipam) await execIpam("DEL", ipam);
  if (env.netns === "") return;
  let ns: Netns;
  try {
    ns = openSandbox(env);
  } catch (err) {
    if (err instanceof CniError && err.cause instanceof TapError && err.cause.code === "ENOENT") {
      return;
    }
    throw err;
  }
  try {
    deleteTap(env.ifname, { netns: ns });
  } catch (err) {
    if (err instanceof TapError && err.code === "ENODEV") return;
    if (err instanceof TapError && err.code === "EINVAL") {
      writeStderr(`tap: not deleting "${env.ifname}": ${err.detail}\n`);
      return;
    }
    throw cniFailure(err, `failed to delete tap "${env.ifname}"`);
  } finally {
    ns.close();
  }
}

function mismatch(ifname: string, what: string, want: unknown, got: unknown): CniError {
  return new CniError(
    ErrorCode.Internal,
    `tap "${ifname}" does not match: ${what} is ${JSON.stringify(got)}, expected ${
      JSON.stringify(want)
    }`,
  );
}

/**
 * CHECK: verifies that the device exists, is a tap, and matches the config and prevResult.
 * The MAC and MTU come from prevResult, not the config, because a later plugin in the chain
 * (tuning) may have changed them and prevResult is the chain's final result.
 *
 * @example Usage
 * ```ts
 * import { cmdCheck } from "./plugin.ts";
 * declare const req: import("./request.ts").Request;
 * await cmdCheck(req);
 * ```
 */
export async function cmdCheck(req: Request): Promise<void> {
  const { env, conf } = req;
  checkVersionAllows("CHECK", conf.cniVersion);
  const mac = resolveMac(conf, parseCniArgs(env.args));
  if (conf.prevResult === undefined) {
    throw new CniError(ErrorCode.InvalidConfig, "Required prevResult missing");
  }
  const prev = parsePrevResult(conf.prevResult, conf.cniVersion);
  const iface = prev.interfaces.find((i) => i.name === env.ifname && i.sandbox === env.netns);
  if (iface === undefined) {
    throw new CniError(
      ErrorCode.Internal,
      `no interface "${env.ifname}" with sandbox "${env.netns}" in prevResult`,
    );
  }
  const ipam = ipamOf(req);
  if (ipam) await execIpam("CHECK", ipam);
  const tap = await withSandbox(env, (ns) => {
    try {
      return inspectTap(env.ifname, { netns: ns });
    } catch (err) {
      throw cniFailure(err, `failed to check tap "${env.ifname}"`);
    }
  });
  checkAddresses(env.ifname, tap, prev, prev.interfaces.indexOf(iface));
  const expect: [string, unknown, unknown][] = [
    ["mode", "tap", tap.mode],
    ["multiQueue", conf.multiQueue, tap.multiQueue],
  ];
  if (conf.owner !== undefined) expect.push(["owner", conf.owner, tap.owner]);
  if (conf.group !== undefined) expect.push(["group", conf.group, tap.group]);
  // Only a 1.1.0 result carries the MTU; the config's may since have been changed by tuning.
  if (iface.mtu !== undefined) expect.push(["mtu", iface.mtu, tap.mtu]);
  if (conf.bridge) expect.push(["bridge", conf.bridge, tap.bridge]);
  const wantMac = iface.mac ?? mac;
  if (wantMac !== undefined) expect.push(["mac", wantMac.toLowerCase(), tap.mac]);
  for (const [what, want, got] of expect) {
    if (want !== got) throw mismatch(env.ifname, what, want, got);
  }
}

/** Every prevResult IP of our interface must be on the device, and every route must exist. */
function checkAddresses(ifname: string, tap: TapDetails, prev: Result, index: number): void {
  const ours = prev.ips.filter((ip) => ip.interface === index);
  for (const ip of ours) {
    const want = parseCidr(ip.address)!;
    const found = tap.addresses.some((a) =>
      a.prefixLength === want.prefixLength && sameAddress(a.bytes, want.bytes)
    );
    if (!found) {
      throw new CniError(
        ErrorCode.Internal,
        `Failed to match addr ${ip.address} on interface ${ifname}`,
      );
    }
  }
  if (ours.length === 0) return;
  for (const r of prev.routes) {
    const dst = parseCidr(r.dst)!;
    // A route of a family we have no address of belongs to another interface.
    if (!ours.some((ip) => parseCidr(ip.address)?.family === dst.family)) continue;
    const network = networkPart(dst.bytes, dst.prefixLength);
    const found = tap.routes.some((t) =>
      t.dst.prefixLength === dst.prefixLength && sameAddress(t.dst.bytes, network) &&
      (r.gw === undefined || sameAddress(t.gateway, parseIp(r.gw)?.bytes))
    );
    if (!found) {
      throw new CniError(
        ErrorCode.Internal,
        `Failed to match route ${r.dst} on interface ${ifname}`,
      );
    }
  }
}

/**
 * STATUS: ready when /dev/net/tun can be opened and IPAM, when configured, is ready.
 *
 * @example Usage
 * ```ts
 * import { cmdStatus } from "./plugin.ts";
 * declare const req: import("./request.ts").Request;
 * await cmdStatus(req);
 * ```
 */
export async function cmdStatus(req: Request): Promise<void> {
  checkVersionAllows("STATUS", req.conf.cniVersion);
  try {
    libc.close(libc.open("/dev/net/tun", O_RDWR | O_CLOEXEC));
  } catch (err) {
    throw new CniError(
      ErrorCode.PluginNotAvailable,
      "cannot open /dev/net/tun",
      (err as Error).message,
    );
  }
  const ipam = ipamOf(req);
  if (ipam) await execIpam("STATUS", ipam);
}

/**
 * GC: forwarded to IPAM. The plugin itself keeps no state outside the container netns, which
 * the runtime removes.
 *
 * @example Usage
 * ```ts
 * import { cmdGc } from "./plugin.ts";
 * declare const req: import("./request.ts").Request;
 * await cmdGc(req);
 * ```
 */
export async function cmdGc(req: Request): Promise<void> {
  checkVersionAllows("GC", req.conf.cniVersion);
  // The runtime's cni.dev/valid-attachments list is in stdin; IPAM keeps what it names.
  const ipam = ipamOf(req);
  if (ipam) await execIpam("GC", ipam);
}
