/**
 * CNI results: one internal model (the 1.1.0 result), decoders for every spec version's
 * result format and an encoder that prints the model in any of them, converting the way
 * libcni's `pkg/types` converts.
 *
 * @example Usage
 * ```ts
 * import { formatResult, type Result } from "./result.ts";
 *
 * const result: Result = {
 *   interfaces: [{ name: "tap0", mac: "c2:00:00:00:00:01", sandbox: "/run/netns/t1" }],
 *   ips: [],
 *   routes: [],
 * };
 * formatResult(result, "0.4.0"); // '{\n    "cniVersion": "0.4.0",\n    "interfaces": [ ...'
 * ```
 *
 * @module
 */

import { z } from "zod/mini";
import type { Dns } from "./conf.ts";
import { CniError, ErrorCode, quote } from "./errors.ts";
import { parseCidr } from "../core/ip.ts";
import { getFold, isJsonObject } from "./json.ts";
import {
  familyVersions,
  isSupportedVersion,
  NEWEST_VERSION,
  type VersionFamily,
  versionFamily,
} from "./version.ts";
import {
  anyInteger,
  cidr,
  compactDns,
  describeIssues,
  dns,
  folded,
  integer,
  ipAddress,
  lazily,
  list,
  optionalText,
  text,
} from "./_schema.ts";

/**
 * An interface the attachment created or uses.
 *
 * @example Usage
 * ```ts
 * import type { Interface } from "./result.ts";
 *
 * const tap: Interface = { name: "tap0", mac: "c2:00:00:00:00:01", sandbox: "/run/netns/t1" };
 * ```
 */
export interface Interface {
  /** Interface name. */
  name: string;
  /** MAC address. */
  mac?: string;
  /** MTU (1.1.0). */
  mtu?: number;
  /** Network namespace path, for container-side interfaces. */
  sandbox?: string;
  /** vhost-user or similar socket path (1.1.0). */
  socketPath?: string;
  /** PCI address (1.1.0). */
  pciID?: string;
}

/**
 * An IP address assigned to an interface.
 *
 * @example Usage
 * ```ts
 * import type { IpConfig } from "./result.ts";
 *
 * const ip: IpConfig = { address: "10.1.0.5/16", gateway: "10.1.0.1", interface: 0 };
 * ```
 */
export interface IpConfig {
  /** Address with prefix length, host bits kept (`10.1.0.5/16`). */
  address: string;
  /** Gateway address. */
  gateway?: string;
  /** Index into {@linkcode Result.interfaces}; IPAM plugins leave it out. */
  interface?: number;
}

/**
 * A route.
 *
 * @example Usage
 * ```ts
 * import type { Route } from "./result.ts";
 *
 * const defaultRoute: Route = { dst: "0.0.0.0/0", gw: "10.1.0.1" };
 * ```
 */
export interface Route {
  /** Destination prefix. */
  dst: string;
  /** Next hop. */
  gw?: string;
  /** Route MTU (1.1.0). */
  mtu?: number;
  /** Advertised MSS (1.1.0). */
  advmss?: number;
  /** Metric; lower wins (1.1.0). */
  priority?: number;
  /** Routing table (1.1.0). */
  table?: number;
  /** Scope: 0 global, 253 link, 254 host (1.1.0). */
  scope?: number;
}

/**
 * A result in the internal (1.1.0) model.
 *
 * @example Usage
 * ```ts
 * import type { Result } from "./result.ts";
 *
 * const empty: Result = { interfaces: [], ips: [], routes: [] };
 * ```
 */
export interface Result {
  /** Interfaces, referenced by index from {@linkcode IpConfig.interface}. */
  interfaces: Interface[];
  /** IP addresses. */
  ips: IpConfig[];
  /** Routes. */
  routes: Route[];
  /** DNS settings. */
  dns?: Dns;
}

// --- Decoding -------------------------------------------------------------------------

// The schemas are built on first use: a plain ADD or DEL decodes no result, and building them
// costs a fresh process about 1 ms (docs/BENCHMARKS.md).
const routeSchema = lazily(() =>
  folded({
    dst: cidr,
    gw: z.optional(ipAddress),
    mtu: z.optional(anyInteger),
    advmss: z.optional(anyInteger),
    priority: z.optional(anyInteger),
    table: z.optional(anyInteger),
    scope: z.optional(anyInteger),
  })
);

const interfaceIndex = lazily(() =>
  z.optional(integer(0, Number.MAX_SAFE_INTEGER, "an interface index"))
);

// 1.0.0 and 1.1.0 (the types did not change between them).
const result100Schema = lazily(() =>
  folded({
    cniVersion: z.optional(text),
    interfaces: z.optional(list(folded({
      name: z._default(text, ""),
      mac: optionalText,
      mtu: z.optional(anyInteger),
      sandbox: optionalText,
      socketPath: optionalText,
      pciID: optionalText,
    }))),
    ips: z.optional(
      list(folded({ interface: interfaceIndex(), address: cidr, gateway: z.optional(ipAddress) })),
    ),
    routes: z.optional(list(routeSchema())),
    dns: z.optional(dns),
  })
);

// 0.3.0, 0.3.1 and 0.4.0: interfaces without the 1.1.0 fields, "version" on each IP
// (ignored: the address says it better).
const result040Schema = lazily(() =>
  folded({
    cniVersion: z.optional(text),
    interfaces: z.optional(
      list(folded({ name: z._default(text, ""), mac: optionalText, sandbox: optionalText })),
    ),
    ips: z.optional(list(folded({
      version: z.optional(text),
      interface: interfaceIndex(),
      address: cidr,
      gateway: z.optional(ipAddress),
    }))),
    routes: z.optional(list(routeSchema())),
    dns: z.optional(dns),
  })
);

// 0.1.0 and 0.2.0: one IPv4 and one IPv6 configuration, routes nested in each.
const result020Schema = lazily(() => {
  const ipConfig = folded({
    ip: cidr,
    gateway: z.optional(ipAddress),
    routes: z.optional(list(routeSchema())),
  });
  return folded({
    cniVersion: z.optional(text),
    ip4: z.optional(ipConfig),
    ip6: z.optional(ipConfig),
    dns: z.optional(dns),
  });
});

/**
 * Decodes a result of any supported version into the internal model: a plugin's or an
 * IPAM delegate's stdout, or a cached result. IPAM results may leave out `interfaces` and
 * the `interface` index. Keys match case-insensitively, as in Go.
 *
 * @param raw The parsed JSON (see `parseJson` in `json.ts`).
 * @param version The version to assume when the result has no `cniVersion` of its own
 *   (normally the config's).
 * @returns The result.
 * @throws {CniError} Code 1 `unsupported CNI result version "X"` for an unknown version;
 *   code 6 when the result does not have the shape of its version.
 *
 * @example Usage
 * ```ts
 * import { parseResult } from "./result.ts";
 *
 * parseResult({ ip4: { ip: "10.1.0.5/16" } }, "0.2.0").ips; // [{ address: "10.1.0.5/16" }]
 * ```
 */
export function parseResult(raw: unknown, version: string): Result {
  return decodeResult(raw, version, "result", "Cannot decode CNI result");
}

/**
 * Decodes a config's `prevResult`. Its own `cniVersion` (the config's when missing) must
 * be in the config version's family, as Go's `version.ParsePrevResult` requires.
 *
 * @param raw The `prevResult` value of the config.
 * @param confVersion The config's `cniVersion`.
 * @returns The result.
 * @throws {CniError} Code 6 `could not parse prevResult` when the version is of another
 *   family (details like `result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion
 *   is "0.4.0"`) or the shape is wrong; code 1 when `confVersion` is not supported.
 *
 * @example Usage
 * ```ts
 * import { parsePrevResult } from "./result.ts";
 *
 * const prev = { cniVersion: "1.0.0", interfaces: [{ name: "tap0" }] };
 * parsePrevResult(prev, "1.1.0").interfaces[0]?.name; // "tap0"
 * ```
 */
export function parsePrevResult(raw: unknown, confVersion: string): Result {
  const family = versionFamily(confVersion);
  const version = declaredVersion(raw) || confVersion;
  if (!isSupportedVersion(version) || versionFamily(version) !== family) {
    throw new CniError(
      ErrorCode.Decoding,
      "could not parse prevResult",
      `result type supports [${familyVersions(family).join(" ")}] but unmarshalled CNIVersion is ${
        quote(version)
      }`,
    );
  }
  return decodeResult(raw, version, "prevResult", "could not parse prevResult");
}

function declaredVersion(raw: unknown): string {
  const version = isJsonObject(raw) ? getFold(raw, "cniVersion") : undefined;
  return typeof version === "string" ? version : "";
}

function decodeResult(raw: unknown, fallback: string, root: string, msg: string): Result {
  const version = declaredVersion(raw) || fallback || "0.1.0";
  if (!isSupportedVersion(version)) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      `unsupported CNI result version ${quote(version)}`,
    );
  }
  const decoded = decodeFamily(raw, versionFamily(version));
  if (decoded.success) return decoded.data;
  throw new CniError(ErrorCode.Decoding, msg, describeIssues(decoded.error.issues, raw, root));
}

type Decoded =
  | { success: true; data: Result }
  | { success: false; error: { issues: Parameters<typeof describeIssues>[0] } };

function decodeFamily(raw: unknown, family: VersionFamily): Decoded {
  switch (family) {
    case "1": {
      const parsed = result100Schema().safeParse(raw);
      return parsed.success ? { success: true, data: fromLists(parsed.data) } : parsed;
    }
    case "0.3": {
      const parsed = result040Schema().safeParse(raw);
      if (!parsed.success) return parsed;
      const { ips = [], ...rest } = parsed.data;
      return {
        success: true,
        data: fromLists({ ...rest, ips: ips.map(({ version: _version, ...ip }) => ip) }),
      };
    }
    case "0.1": {
      const parsed = result020Schema().safeParse(raw);
      return parsed.success ? { success: true, data: from020(parsed.data) } : parsed;
    }
  }
}

function fromLists(lists: Partial<Result>): Result {
  const { interfaces = [], ips = [], routes = [], dns } = lists;
  return {
    interfaces,
    ips,
    routes,
    ...(dns ? { dns } : {}),
  };
}

interface IpConfig020 {
  ip: string;
  gateway?: string;
  routes?: Route[];
}

// ip4 then ip6 become ips (no interface index), their routes are concatenated.
function from020(result: { ip4?: IpConfig020; ip6?: IpConfig020; dns?: Dns }): Result {
  const configs = [result.ip4, result.ip6].filter((config) => config !== undefined);
  return fromLists({
    ips: configs.map(({ ip, gateway }) => (gateway ? { address: ip, gateway } : { address: ip })),
    routes: configs.flatMap((config) => config.routes ?? []),
    ...(result.dns ? { dns: result.dns } : {}),
  });
}

// --- Encoding -------------------------------------------------------------------------

/**
 * Tells whether a result can be printed in a version: 0.1.0 and 0.2.0 results must have
 * at least one IP address, so a layer-2-only attachment cannot be reported in them. Call
 * it before creating anything.
 *
 * @param hasIp Whether the result will have an IP address (an IPAM plugin is configured).
 * @param version The request's `cniVersion`.
 * @returns `false` when {@linkcode formatResult} would fail for lack of an IP.
 * @throws {CniError} Code 1 for an unsupported version.
 *
 * @example Usage
 * ```ts
 * import { canExpressResult } from "./result.ts";
 *
 * canExpressResult(false, "0.2.0"); // false
 * canExpressResult(false, "0.4.0"); // true
 * ```
 */
export function canExpressResult(hasIp: boolean, version: string): boolean {
  return hasIp || versionFamily(version) !== "0.1";
}

/**
 * Prints a result in a spec version's format, as Go's `types.PrintResult` does: 4-space
 * indent, no trailing newline. 1.x keys are sorted alphabetically (Go's 1.x result goes
 * through a map), `dns` only when non-empty; 0.3.x/0.4.0 keep Go's struct order, drop the
 * 1.1.0 interface fields and always print `dns`; 0.1.0/0.2.0 print the first IPv4 and
 * the first IPv6 address as `ip4`/`ip6` with their routes.
 *
 * @param result The result.
 * @param version The request's `cniVersion`.
 * @returns The JSON text for stdout.
 * @throws {CniError} Code 1 `no converter for CNI result version 1.1.0 to X` for an
 *   unsupported version; code 999 `cannot convert: no valid IP addresses` for 0.1.0/0.2.0
 *   without an IP.
 *
 * @example Usage
 * ```ts
 * import { formatResult } from "./result.ts";
 *
 * formatResult({ interfaces: [{ name: "tap0" }], ips: [], routes: [] }, "1.1.0");
 * // '{\n    "cniVersion": "1.1.0",\n    "interfaces": [\n        {\n            "name": "tap0"\n ...'
 * ```
 */
export function formatResult(result: Result, version: string): string {
  if (!isSupportedVersion(version)) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      `no converter for CNI result version ${NEWEST_VERSION} to ${version}`,
    );
  }
  return JSON.stringify(encode(result, version), null, 4);
}

function encode(result: Result, version: string): unknown {
  switch (versionFamily(version)) {
    case "1":
      return sortKeys(encodeLists(result, version, false));
    case "0.3":
      return encodeLists(result, version, true);
    case "0.1":
      return encode020(result, version);
  }
}

// JSON.stringify leaves out properties whose value is undefined, which gives Go's
// omitempty; these helpers turn Go's "empty" values into undefined.
function nonEmpty(value: string | undefined): string | undefined {
  return value || undefined;
}

function nonZero(value: number | undefined): number | undefined {
  return value || undefined;
}

function nonEmptyList<T>(items: T[]): T[] | undefined {
  return items.length > 0 ? items : undefined;
}

// The 1.x and the 0.3.x/0.4.0 formats: the same lists, but 0.x has no 1.1.0 interface
// fields, a "version" on each IP, Go's struct order and a dns that is always there.
function encodeLists(result: Result, version: string, legacy: boolean): unknown {
  return {
    cniVersion: version,
    interfaces: nonEmptyList(result.interfaces.map((iface) => ({
      name: iface.name,
      mac: nonEmpty(iface.mac),
      ...(legacy ? {} : {
        mtu: nonZero(iface.mtu),
        socketPath: nonEmpty(iface.socketPath),
        pciID: nonEmpty(iface.pciID),
      }),
      sandbox: nonEmpty(iface.sandbox),
    }))),
    ips: nonEmptyList(result.ips.map((ip) => ({
      ...(legacy ? { version: String(addressFamily(ip.address)) } : {}),
      interface: ip.interface,
      address: ip.address,
      gateway: nonEmpty(ip.gateway),
    }))),
    routes: nonEmptyList(result.routes.map(encodeRoute)),
    // Go's 0.x result types print an empty DNS struct as {}.
    dns: encodeDns(result.dns) ?? (legacy ? {} : undefined),
  };
}

function encode020(result: Result, version: string): unknown {
  const configs = new Map<4 | 6, { ip: string; gateway: string | undefined; routes: unknown[] }>();
  for (const ip of result.ips) {
    const family = addressFamily(ip.address);
    if (!configs.has(family)) {
      configs.set(family, { ip: ip.address, gateway: nonEmpty(ip.gateway), routes: [] });
    }
  }
  if (configs.size === 0) {
    throw new CniError(ErrorCode.Internal, "cannot convert: no valid IP addresses");
  }
  for (const route of result.routes) {
    configs.get(addressFamily(route.dst))?.routes.push({ dst: route.dst, gw: nonEmpty(route.gw) });
  }
  const encodeConfig = (family: 4 | 6) => {
    const config = configs.get(family);
    return config && { ...config, routes: nonEmptyList(config.routes) };
  };
  return {
    cniVersion: version,
    ip4: encodeConfig(4),
    ip6: encodeConfig(6),
    dns: encodeDns(result.dns) ?? {},
  };
}

// Go's struct order; mtu, advmss and priority are omitted when 0, table and scope are
// pointers and kept.
function encodeRoute(route: Route): unknown {
  return {
    dst: route.dst,
    gw: nonEmpty(route.gw),
    mtu: nonZero(route.mtu),
    advmss: nonZero(route.advmss),
    priority: nonZero(route.priority),
    table: route.table,
    scope: route.scope,
  };
}

// In Go's struct order (1.x output sorts it anyway).
function encodeDns(value: Dns | undefined): object | undefined {
  const compact = compactDns(value);
  return compact && {
    nameservers: compact.nameservers,
    domain: compact.domain,
    search: compact.search,
    options: compact.options,
  };
}

// Anything that is not IPv4 counts as IPv6, as Go's `IP.To4() == nil` does.
function addressFamily(address: string): 4 | 6 {
  return parseCidr(address)?.family === 4 ? 4 : 6;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isJsonObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value).sort().map((key) => [key, sortKeys(value[key])]),
  );
}
