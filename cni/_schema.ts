/**
 * Internal zod building blocks shared by the config and result decoders: Go-style key
 * folding, JSON-aware value schemas and readable error details.
 *
 * Every schema carries its expectation as its error text ("an unsigned 32-bit integer"),
 * and {@linkcode describeIssues} turns zod issues into `"owner" must be an unsigned 32-bit
 * integer, got "0"`.
 *
 * @example Usage
 * ```ts
 * import { describeIssues, folded, text } from "./_schema.ts";
 *
 * const schema = folded({ name: text });
 * const input = { NAME: 5 };
 * const parsed = schema.safeParse(input);
 * if (!parsed.success) describeIssues(parsed.error.issues, input); // '"name" must be a string, got 5'
 * ```
 *
 * @module
 */

import { z } from "zod/mini";
import { quote } from "./errors.ts";
import { foldKey, getFold, isJsonObject, JsonFloat, jsonKind } from "./json.ts";
import { parseCidr, parseIp } from "../core/ip.ts";
import type { Dns } from "./conf.ts";

/**
 * An object type with the keys whose value may be `undefined` made optional instead, as
 * `exactOptionalPropertyTypes` wants it.
 *
 * @example Usage
 * ```ts
 * import type { WithoutUndefined } from "./_schema.ts";
 *
 * const value: WithoutUndefined<{ a: string; b?: number | undefined }> = { a: "x" };
 * ```
 */
export type WithoutUndefined<T> =
  & { [K in keyof T as undefined extends T[K] ? never : K]: T[K] }
  & { [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined> };

/**
 * Drops the properties whose value is `undefined`.
 *
 * @param obj An object.
 * @returns A copy without those properties.
 *
 * @example Usage
 * ```ts
 * import { withoutUndefined } from "./_schema.ts";
 *
 * withoutUndefined({ a: 1, b: undefined }); // { a: 1 }
 * ```
 */
export function withoutUndefined<T extends object>(obj: T): WithoutUndefined<T> {
  return Object.fromEntries(
    Object.entries(obj).filter(([, value]) => value !== undefined),
  ) as WithoutUndefined<T>;
}

/**
 * Builds a value on first use and keeps it: for schemas that only some calls need, since
 * building a zod schema costs a fresh process real time.
 *
 * @param build Makes the value.
 * @returns A function that returns the value, built once.
 *
 * @example Usage
 * ```ts
 * import { lazily, text } from "./_schema.ts";
 *
 * const schema = lazily(() => text);
 * schema().parse("tap0"); // "tap0"
 * ```
 */
export function lazily<T>(build: () => T): () => T {
  let value: { built: T } | undefined;
  return () => (value ??= { built: build() }).built;
}

/**
 * The output of a {@linkcode folded} schema with the given shape.
 *
 * @example Usage
 * ```ts
 * import type { Folded } from "./_schema.ts";
 * import { text } from "./_schema.ts";
 *
 * const value: Folded<{ name: typeof text }> = { name: "tapnet" };
 * ```
 */
export type Folded<T extends z.core.$ZodShape> = WithoutUndefined<
  z.output<z.ZodMiniObject<z.core.util.Writeable<T>>>
>;

/**
 * An object schema whose keys are matched the way Go matches struct fields:
 * case-insensitively, the last case variant winning, unknown keys dropped, and `null`
 * meaning "not given". Properties left `undefined` are removed from the output.
 *
 * @param shape The canonical keys and their schemas.
 * @param what The expectation for a value that is not an object.
 * @returns The schema.
 *
 * @example Usage
 * ```ts
 * import { folded, text } from "./_schema.ts";
 *
 * folded({ name: text }).parse({ Name: "a", NAME: "b" }); // { name: "b" }
 * ```
 */
export function folded<T extends z.core.$ZodShape>(
  shape: T,
  what = "an object",
): z.ZodMiniType<Folded<T>> {
  return z.pipe(
    z.transform((value) =>
      isJsonObject(value) ? foldKeys(value, Object.keys(shape), false) : plain(value)
    ),
    z.pipe(z.object(shape, { error: what }), z.transform(withoutUndefined)),
  );
}

/**
 * Like {@linkcode folded}, but keys outside the shape are kept as they are (for objects
 * such as `ipam` that belong to someone else).
 *
 * @param shape The canonical keys the plugin itself reads.
 * @param what The expectation for a value that is not an object.
 * @returns The schema.
 *
 * @example Usage
 * ```ts
 * import { foldedLoose, text } from "./_schema.ts";
 *
 * foldedLoose({ type: text }).parse({ TYPE: "host-local", subnet: "10.0.0.0/24" });
 * // { type: "host-local", subnet: "10.0.0.0/24" }
 * ```
 */
export function foldedLoose<T extends z.core.$ZodShape>(
  shape: T,
  what = "an object",
): z.ZodMiniType<
  WithoutUndefined<z.output<z.ZodMiniObject<z.core.util.Writeable<T>, z.core.$loose>>>
> {
  return z.pipe(
    z.transform((value) =>
      isJsonObject(value) ? foldKeys(value, Object.keys(shape), true) : plain(value)
    ),
    z.pipe(z.looseObject(shape, { error: what }), z.transform(withoutUndefined)),
  );
}

function foldKeys(
  obj: Record<string, unknown>,
  keys: readonly string[],
  keepOthers: boolean,
): Record<string, unknown> {
  const known = new Set(keys.map(foldKey));
  // fromEntries defines properties, so a "__proto__" key cannot set a prototype (zod then
  // leaves that key out of its output, which only loses a key nobody can use).
  const result: Record<string, unknown> = keepOthers
    ? Object.fromEntries(Object.entries(obj).filter(([key]) => !known.has(foldKey(key))))
    : {};
  for (const key of keys) {
    const value = getFold(obj, key);
    if (value !== undefined && value !== null) result[key] = value;
  }
  return result;
}

// A float where an object or array is expected must not pass as an (empty) object.
function plain(value: unknown): unknown {
  return value instanceof JsonFloat ? value.value : value;
}

/**
 * A string.
 *
 * @example Usage
 * ```ts
 * import { text } from "./_schema.ts";
 *
 * text.parse("tap0"); // "tap0"
 * ```
 */
export const text: z.ZodMiniString = z.string({ error: "a string" });

/**
 * A string where `""` means "not given" (it comes out as `undefined`).
 *
 * @example Usage
 * ```ts
 * import { optionalText } from "./_schema.ts";
 *
 * optionalText.parse(""); // undefined
 * ```
 */
export const optionalText: z.ZodMiniType<string | undefined> = z.optional(
  z.pipe(text, z.transform((value) => value === "" ? undefined : value)),
);

/**
 * A JSON boolean (Go does not accept `"true"` or `1`).
 *
 * @example Usage
 * ```ts
 * import { flag } from "./_schema.ts";
 *
 * flag.safeParse("yes").success; // false
 * ```
 */
export const flag: z.ZodMiniBoolean = z.boolean({ error: "a boolean" });

/**
 * An array of strings.
 *
 * @example Usage
 * ```ts
 * import { strings } from "./_schema.ts";
 *
 * strings.parse(["ndots:2"]); // ["ndots:2"]
 * ```
 */
export const strings: z.ZodMiniType<string[]> = z.array(text, { error: "an array of strings" });

/**
 * An array whose elements follow a schema.
 *
 * @param item The element schema.
 * @returns The array schema.
 *
 * @example Usage
 * ```ts
 * import { list, text } from "./_schema.ts";
 *
 * list(text).parse(["a"]); // ["a"]
 * ```
 */
export function list<T>(item: z.ZodMiniType<T>): z.ZodMiniType<T[]> {
  return z.array(item, { error: "an array" });
}

/**
 * A JSON object kept as it is.
 *
 * @example Usage
 * ```ts
 * import { jsonObject } from "./_schema.ts";
 *
 * jsonObject.safeParse([]).success; // false
 * ```
 */
export const jsonObject: z.ZodMiniType<Record<string, unknown>> = z.custom<Record<string, unknown>>(
  isJsonObject,
  { error: "an object" },
);

/**
 * An integer literal in a range. Float literals such as `1400.0` or `1e3` fail even when
 * integral, because Go refuses them for integer fields.
 *
 * @param min The smallest value.
 * @param max The largest value.
 * @param what The expectation for a value that is not an integer.
 * @param range The expectation for an integer out of range.
 * @returns The schema.
 *
 * @example Usage
 * ```ts
 * import { integer } from "./_schema.ts";
 *
 * integer(0, 65535, "an integer", "an integer from 0 to 65535").parse(1400); // 1400
 * ```
 */
export function integer(min: number, max: number, what: string, range = what): z.ZodMiniNumber {
  return z.number({ error: what }).check(
    z.int({ error: what }),
    z.minimum(min, { error: range }),
    z.maximum(max, { error: range }),
  );
}

/**
 * An unsigned 32-bit integer literal, such as a uid or gid. `-0` is refused, as Go's
 * `strconv.ParseUint` refuses it.
 *
 * @example Usage
 * ```ts
 * import { uint32 } from "./_schema.ts";
 *
 * uint32.safeParse(4294967296).success; // false
 * ```
 */
export const uint32: z.ZodMiniType<number> = integer(0, 0xffff_ffff, "an unsigned 32-bit integer")
  .check(z.refine((value) => !Object.is(value, -0), { error: "an unsigned 32-bit integer" }));

/**
 * Any integer literal that fits a JavaScript number exactly.
 *
 * @example Usage
 * ```ts
 * import { anyInteger } from "./_schema.ts";
 *
 * anyInteger.parse(-1); // -1
 * ```
 */
export const anyInteger: z.ZodMiniNumber = integer(
  Number.MIN_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER,
  "an integer",
);

/**
 * An IP address (`10.1.0.1`, `fd00::1`).
 *
 * @example Usage
 * ```ts
 * import { ipAddress } from "./_schema.ts";
 *
 * ipAddress.safeParse("10.1.0.1/16").success; // false
 * ```
 */
export const ipAddress: z.ZodMiniType<string> = z.string({ error: "an IP address" }).check(
  z.refine((value) => parseIp(value) !== undefined, { error: "an IP address" }),
);

/**
 * An address with a prefix length (`10.1.0.5/16`).
 *
 * @example Usage
 * ```ts
 * import { cidr } from "./_schema.ts";
 *
 * cidr.safeParse("10.1.0.5").success; // false
 * ```
 */
export const cidr: z.ZodMiniType<string> = z.string({ error: "a CIDR address" }).check(
  z.refine((value) => parseCidr(value) !== undefined, { error: "a CIDR address" }),
);

/**
 * The `dns` object of configs and results. Empty members are dropped and an object with
 * nothing left becomes `undefined`, because Go treats empty and absent alike.
 *
 * @example Usage
 * ```ts
 * import { dns } from "./_schema.ts";
 *
 * dns.parse({ Nameservers: ["10.1.0.1"], domain: "" }); // { nameservers: ["10.1.0.1"] }
 * ```
 */
export const dns: z.ZodMiniType<Dns | undefined> = z.pipe(
  folded({
    nameservers: z.optional(strings),
    domain: z.optional(text),
    search: z.optional(strings),
    options: z.optional(strings),
  }),
  z.transform<Dns, Dns | undefined>(compactDns),
);

/**
 * Drops the empty members of a DNS object.
 *
 * @param value A DNS object, or nothing.
 * @returns The non-empty members, or `undefined` when none is left.
 *
 * @example Usage
 * ```ts
 * import { compactDns } from "./_schema.ts";
 *
 * compactDns({ search: [], domain: "" }); // undefined
 * ```
 */
export function compactDns(value: Dns | undefined): Dns | undefined {
  if (value === undefined) return undefined;
  const result: Dns = {};
  if (value.nameservers?.length) result.nameservers = value.nameservers;
  if (value.domain) result.domain = value.domain;
  if (value.search?.length) result.search = value.search;
  if (value.options?.length) result.options = value.options;
  return Object.keys(result).length > 0 ? result : undefined;
}

/**
 * Describes zod issues in plain words: the key path, the expectation and the value given,
 * e.g. `"mtu" must be an integer, got 1400.0`; several issues are joined with `; `.
 *
 * @param issues The issues of a failed parse.
 * @param input The value that was parsed (keys as written; they are looked up folded).
 * @param root How to name the input itself, for an issue at the top.
 * @returns The description.
 *
 * @example Usage
 * ```ts
 * import { describeIssues, folded, uint32 } from "./_schema.ts";
 *
 * const input = { owner: "0" };
 * const parsed = folded({ owner: uint32 }).safeParse(input);
 * if (!parsed.success) describeIssues(parsed.error.issues, input);
 * // '"owner" must be an unsigned 32-bit integer, got "0"'
 * ```
 */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  root = "value",
): string {
  return issues.map((issue) => {
    const where = issue.path.length > 0 ? quote(pathText(issue.path)) : root;
    const value = valueAt(input, issue.path);
    return value === undefined
      ? `${where} is required`
      : `${where} must be ${issue.message}, got ${renderValue(value)}`;
  }).join("; ");
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map((key, i) =>
    typeof key === "number" ? `[${key}]` : `${i > 0 ? "." : ""}${String(key)}`
  )
    .join("");
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof key === "number" && Array.isArray(value)) value = value[key];
    else if (typeof key === "string" && isJsonObject(value)) value = getFold(value, key);
    else return undefined;
  }
  return value;
}

function renderValue(value: unknown): string {
  if (typeof value === "string") return quote(value);
  if (value instanceof JsonFloat) return value.text;
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (typeof value === "boolean" || value === null) return String(value);
  return jsonKind(value);
}
