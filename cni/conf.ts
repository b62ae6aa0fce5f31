/**
 * Decodes the tap plugin's network configuration (stdin) with Go's semantics and skel's
 * checks, in skel's order: JSON syntax (code 6), network name (7), `cniVersion` (1), then
 * the plugin's own keys (7).
 *
 * @example Usage
 * ```ts
 * import { parseNetConf } from "./conf.ts";
 *
 * const conf = parseNetConf('{"cniVersion":"1.0.0","name":"tapnet","type":"tap","MTU":1400}');
 * conf.mtu; // 1400
 * ```
 *
 * @module
 */

import { z } from "zod/mini";
import type { CniArgs } from "./args.ts";
import { CNI_NAME_PATTERN, type CniCommand } from "./env.ts";
import { CniError, ErrorCode, quote, quoteList } from "./errors.ts";
import { getFold, JsonSyntaxError, parseJsonObject } from "./json.ts";
import { checkVersionAllows, isSupportedVersion, SUPPORTED_VERSIONS } from "./version.ts";
import {
  describeIssues,
  dns,
  flag,
  folded,
  foldedLoose,
  integer,
  jsonObject,
  optionalText,
  text,
  uint32,
} from "./_schema.ts";

/**
 * DNS settings, as in configs and results. Empty members are never present.
 *
 * @example Usage
 * ```ts
 * import type { Dns } from "./conf.ts";
 *
 * const dns: Dns = { nameservers: ["10.1.0.1"], search: ["example.local"] };
 * ```
 */
export interface Dns {
  /** Name server addresses. */
  nameservers?: string[];
  /** Local domain. */
  domain?: string;
  /** Search domains. */
  search?: string[];
  /** Resolver options, such as `ndots:2`. */
  options?: string[];
}

/**
 * The decoded configuration. Keys are in their canonical spelling whatever case the input
 * used; `null`, empty strings and an `mtu` of 0 count as not given.
 *
 * @example Usage
 * ```ts
 * import type { NetConf } from "./conf.ts";
 *
 * const conf: NetConf = { cniVersion: "1.1.0", name: "tapnet", multiQueue: false };
 * ```
 */
export interface NetConf {
  /** The request's spec version; `"0.1.0"` when the input has none. */
  cniVersion: string;
  /** Network name. */
  name: string;
  /** Plugin binary name (used by the runtime only). */
  type?: string;
  /** Requested MAC address (see {@linkcode resolveMac} for the precedence). */
  mac?: string;
  /** Requested MTU, 1..65535. */
  mtu?: number;
  /** Create the tap with IFF_MULTI_QUEUE. */
  multiQueue: boolean;
  /** Owner uid. */
  owner?: number;
  /** Group gid. */
  group?: number;
  /** SELinux label to create the tap under. */
  selinuxContext?: string;
  /** Bridge inside the container netns to attach the tap to. */
  bridge?: string;
  /** IPAM section, passed on untouched except that `type` is found case-insensitively. */
  ipam?: { type?: string; [key: string]: unknown };
  /** DNS settings to report in the result. */
  dns?: Dns;
  /** Capability arguments from the runtime. */
  runtimeConfig?: { mac?: string };
  /** The previous plugin's result, undecoded (see `parsePrevResult` in `result.ts`). */
  prevResult?: unknown;
}

/**
 * Options for {@linkcode parseNetConf}.
 *
 * @example Usage
 * ```ts
 * import type { ParseNetConfOptions } from "./conf.ts";
 *
 * const options: ParseNetConfOptions = { command: "CHECK" };
 * ```
 */
export interface ParseNetConfOptions {
  /**
   * The command being run. For `CHECK`, `STATUS` and `GC` the version gate of
   * `checkVersionAllows` is applied where skel applies it: after the name check, before
   * the supported-version check.
   */
  command?: CniCommand;
}

// The one schema of the config. Everything the plugin reads is here; other keys are
// ignored, as Go ignores them.
const netConfSchema = folded({
  cniVersion: z.optional(text),
  name: z.optional(text),
  type: optionalText,
  mac: optionalText,
  mtu: z.optional(integer(0, 65535, "an integer", "an integer from 0 to 65535")),
  multiQueue: z.optional(flag),
  owner: z.optional(uint32),
  group: z.optional(uint32),
  selinuxContext: optionalText,
  bridge: optionalText,
  ipam: z.optional(foldedLoose({ type: optionalText })),
  dns: z.optional(dns),
  args: z.optional(jsonObject),
  runtimeConfig: z.optional(folded({ mac: optionalText })),
  prevResult: z.optional(jsonObject),
});

type Issue = z.core.$ZodIssue;

/**
 * Decodes a configuration the way the Go tap plugin and skel do: keys match
 * case-insensitively and the last duplicate wins, `null` means "not given", unknown keys
 * are ignored, and values must have exactly the right JSON type (`1400.0` is not an
 * integer, `"0"` is not a uid).
 *
 * @param text The stdin text.
 * @param options Optional: the command, for the CHECK/STATUS/GC version gate.
 * @returns The configuration.
 * @throws {CniError} Code 6 `error unmarshall network config` (with line, column and
 *   offset) for broken JSON or a non-string `name`; code 7 `missing network name` /
 *   `invalid characters found in network name`; code 6 for a non-string `cniVersion`;
 *   code 1 for an unsupported or (with `options.command`) too old version; code 7
 *   `failed to load netconf` for any other key with a wrong type or value.
 *
 * @example Usage
 * ```ts
 * import { parseNetConf } from "./conf.ts";
 *
 * parseNetConf('{"name":"tapnet","selinuxcontext":"system_u:system_r:container_t:s0"}')
 *   .selinuxContext; // "system_u:system_r:container_t:s0"
 * ```
 */
export function parseNetConf(text: string, options: ParseNetConfOptions = {}): NetConf {
  const raw = decodeJson(text);
  const parsed = netConfSchema.safeParse(raw);
  const issues = parsed.success ? [] : parsed.error.issues;
  throwIssuesAt(issues, "name", raw, "error unmarshall network config");
  const name = stringAt(raw, "name");
  checkNetworkName(name);
  throwIssuesAt(issues, "cniVersion", raw, "decoding version from network config");
  const version = stringAt(raw, "cniVersion") || "0.1.0";
  const { command } = options;
  if (command === "CHECK" || command === "STATUS" || command === "GC") {
    checkVersionAllows(command, version);
  }
  if (!isSupportedVersion(version)) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      "incompatible CNI versions",
      `config is ${quote(version)}, plugin supports ${quoteList(SUPPORTED_VERSIONS)}`,
    );
  }
  if (!parsed.success) {
    throw new CniError(
      ErrorCode.InvalidConfig,
      "failed to load netconf",
      describeIssues(issues, raw),
    );
  }
  const { cniVersion: _version, name: _name, args: _args, multiQueue, mtu, ...rest } = parsed.data;
  return {
    ...rest,
    cniVersion: version,
    name,
    multiQueue: multiQueue ?? false,
    ...(mtu ? { mtu } : {}),
  };
}

/**
 * Picks the MAC address to use, in the Go tap plugin's order: `runtimeConfig.mac`, then
 * `CNI_ARGS` `MAC=`, then the config's `mac`. Empty strings count as not given.
 *
 * @param conf The configuration.
 * @param args The parsed `CNI_ARGS`.
 * @returns The MAC address, or `undefined` to let the kernel pick one.
 *
 * @example Usage
 * ```ts
 * import { parseCniArgs } from "./args.ts";
 * import { parseNetConf, resolveMac } from "./conf.ts";
 *
 * const conf = parseNetConf('{"name":"n","mac":"c2:00:00:00:00:01"}');
 * resolveMac(conf, parseCniArgs("MAC=c2:00:00:00:00:02")); // "c2:00:00:00:00:02"
 * ```
 */
export function resolveMac(conf: NetConf, args: CniArgs): string | undefined {
  return conf.runtimeConfig?.mac || args.mac || conf.mac || undefined;
}

function decodeJson(text: string): Record<string, unknown> {
  try {
    return parseJsonObject(text);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    throw new CniError(ErrorCode.Decoding, "error unmarshall network config", err.message, {
      cause: err,
    });
  }
}

// skel decodes name and cniVersion itself, before the plugin sees the config, so type
// errors there are decoding errors (code 6) that come before any other check.
function throwIssuesAt(issues: readonly Issue[], key: string, raw: unknown, msg: string): void {
  const found = issues.filter((issue) => issue.path[0] === key);
  if (found.length > 0) throw new CniError(ErrorCode.Decoding, msg, describeIssues(found, raw));
}

// Only called once the key is known to be a string, null or absent.
function stringAt(raw: Record<string, unknown>, key: string): string {
  const value = getFold(raw, key);
  return typeof value === "string" ? value : "";
}

function checkNetworkName(name: string): void {
  if (name === "") throw new CniError(ErrorCode.InvalidConfig, "missing network name");
  if (!CNI_NAME_PATTERN.test(name)) {
    throw new CniError(ErrorCode.InvalidConfig, "invalid characters found in network name", name);
  }
}
