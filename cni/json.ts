/**
 * A small strict JSON (RFC 8259) parser with the semantics CNI plugins get from Go's
 * `encoding/json`, and errors that say where the text is broken.
 *
 * Why not `JSON.parse`: its messages differ between V8 and JavaScriptCore (which gives
 * no position at all), it cannot tell `1400` from `1400.0`, and Go needs the last
 * duplicate key to win and keys to match case-insensitively.
 *
 * What comes back: plain objects (key order is the order of the last assignment of each
 * key), arrays, strings, booleans, `null`, numbers for integer literals and
 * {@linkcode JsonFloat} for literals with a fraction or an exponent.
 *
 * @example Usage
 * ```ts
 * import { getFold, parseJson } from "./json.ts";
 *
 * const conf = parseJson('{"MTU": 1400, "mtu": 1500}') as Record<string, unknown>;
 * getFold(conf, "mtu"); // 1500
 * ```
 *
 * @module
 */

/**
 * How deeply objects and arrays may nest; deeper input is rejected instead of risking a
 * stack overflow.
 *
 * @example Usage
 * ```ts
 * import { MAX_DEPTH } from "./json.ts";
 *
 * MAX_DEPTH; // 512
 * ```
 */
export const MAX_DEPTH = 512;

/**
 * A number written with a fraction or an exponent (`1400.0`, `1e3`). Go refuses these for
 * integer fields even when the value is integral, so the parser keeps them apart from
 * integer literals. `JSON.stringify` writes the plain number.
 *
 * @example Usage
 * ```ts
 * import { JsonFloat, parseJson } from "./json.ts";
 *
 * const value = parseJson("1400.0");
 * value instanceof JsonFloat; // true
 * JSON.stringify(value); // "1400"
 * ```
 */
export class JsonFloat {
  /** The numeric value. */
  readonly value: number;
  /** The literal as written in the source. */
  readonly text: string;

  /**
   * Creates a float literal.
   *
   * @param value The numeric value.
   * @param text The literal as written.
   */
  constructor(value: number, text: string) {
    this.value = value;
    this.text = text;
  }

  /**
   * Returns the numeric value, so that `JSON.stringify` writes a number.
   *
   * @returns The value.
   *
   * @example Usage
   * ```ts
   * import { JsonFloat } from "./json.ts";
   *
   * new JsonFloat(1.5, "1.50").toJSON(); // 1.5
   * ```
   */
  toJSON(): number {
    return this.value;
  }

  /**
   * Returns the numeric value, for arithmetic and comparisons.
   *
   * @returns The value.
   *
   * @example Usage
   * ```ts
   * import { JsonFloat } from "./json.ts";
   *
   * +new JsonFloat(1.5, "1.5"); // 1.5
   * ```
   */
  valueOf(): number {
    return this.value;
  }

  /**
   * Returns the literal as written.
   *
   * @returns The source text.
   *
   * @example Usage
   * ```ts
   * import { JsonFloat } from "./json.ts";
   *
   * String(new JsonFloat(1000, "1e3")); // "1e3"
   * ```
   */
  toString(): string {
    return this.text;
  }
}

/**
 * Where in a text something is: 1-based line and column (the column counts characters),
 * and the 0-based UTF-8 byte offset.
 *
 * @example Usage
 * ```ts
 * import type { JsonPosition } from "./json.ts";
 *
 * const start: JsonPosition = { line: 1, column: 1, offset: 0 };
 * ```
 */
export interface JsonPosition {
  /** 1-based line number. */
  line: number;
  /** 1-based column, in characters (Unicode code points). */
  column: number;
  /** 0-based offset in UTF-8 bytes, as Go reports it. */
  offset: number;
}

/**
 * Thrown by {@linkcode parseJson} for text that is not valid JSON. The message names the
 * problem in Go's words and ends with the position.
 *
 * @example Usage
 * ```ts
 * import { JsonSyntaxError, parseJson } from "./json.ts";
 *
 * try {
 *   parseJson('{"a": 1 "b": 2}');
 * } catch (err) {
 *   if (err instanceof JsonSyntaxError) err.column; // 9
 * }
 * ```
 */
export class JsonSyntaxError extends SyntaxError {
  /** The problem without the position, e.g. `unexpected end of JSON input`. */
  readonly reason: string;
  /** 1-based line number. */
  readonly line: number;
  /** 1-based column, in characters. */
  readonly column: number;
  /** 0-based UTF-8 byte offset. */
  readonly offset: number;

  /**
   * Creates a syntax error.
   *
   * @param reason The problem, without the position.
   * @param position Where the problem is.
   */
  constructor(reason: string, position: JsonPosition) {
    super(
      `${reason} at line ${position.line}, column ${position.column} (offset ${position.offset})`,
    );
    this.name = "JsonSyntaxError";
    this.reason = reason;
    this.line = position.line;
    this.column = position.column;
    this.offset = position.offset;
  }
}

/**
 * Parses JSON text strictly (RFC 8259: no comments, no trailing commas, no byte order
 * mark, only space, tab, CR and LF as whitespace).
 *
 * @param text The JSON text.
 * @returns The value; see the module documentation for the types.
 * @throws {JsonSyntaxError} For invalid JSON (including empty input) or nesting deeper than
 *   {@linkcode MAX_DEPTH}.
 *
 * @example Usage
 * ```ts
 * import { parseJson } from "./json.ts";
 *
 * parseJson('{"a": 1, "a": 2}'); // { a: 2 }
 * ```
 */
export function parseJson(text: string): unknown {
  return new Parser(text).parseDocument();
}

/**
 * Parses JSON text that must hold an object at the top level, such as a CNI config.
 *
 * @param text The JSON text.
 * @returns The object.
 * @throws {JsonSyntaxError} For invalid JSON, or when the top-level value is not an object
 *   (positioned at that value).
 *
 * @example Usage
 * ```ts
 * import { parseJsonObject } from "./json.ts";
 *
 * parseJsonObject('{"name": "tapnet"}').name; // "tapnet"
 * ```
 */
export function parseJsonObject(text: string): Record<string, unknown> {
  const value = parseJson(text);
  if (isJsonObject(value)) return value;
  throw new JsonSyntaxError(
    `expected an object at top level, found ${jsonKind(value)}`,
    positionAt(text, text.search(/[^ \t\n\r]/)),
  );
}

/**
 * Tells whether a value is a JSON object as this module returns them: a plain object, not
 * an array and not a {@linkcode JsonFloat}.
 *
 * @param value Any value.
 * @returns `true` for plain objects.
 *
 * @example Usage
 * ```ts
 * import { isJsonObject } from "./json.ts";
 *
 * isJsonObject({}); // true
 * isJsonObject([]); // false
 * ```
 */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Names the JSON type of a parsed value, with an article: `an object`, `an array`,
 * `a string`, `a number`, `a boolean` or `null`.
 *
 * @param value A value returned by {@linkcode parseJson}.
 * @returns The type name.
 *
 * @example Usage
 * ```ts
 * import { jsonKind } from "./json.ts";
 *
 * jsonKind([1]); // "an array"
 * ```
 */
export function jsonKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number" || value instanceof JsonFloat) return "a number";
  if (typeof value === "string") return "a string";
  if (typeof value === "boolean") return "a boolean";
  return "an object";
}

/**
 * Looks a key up case-insensitively, the way Go's `encoding/json` matches struct fields:
 * among all keys that fold to the same name, the last one in the object wins.
 *
 * @param obj An object, normally from {@linkcode parseJson}.
 * @param key The canonical key.
 * @returns The value, or `undefined` when no key matches.
 *
 * @example Usage
 * ```ts
 * import { getFold } from "./json.ts";
 *
 * getFold({ SelinuxContext: "a", selinuxcontext: "b" }, "selinuxContext"); // "b"
 * ```
 */
export function getFold(obj: Record<string, unknown>, key: string): unknown {
  const wanted = foldKey(key);
  let found: string | undefined;
  for (const candidate of Object.keys(obj)) {
    if (foldKey(candidate) === wanted) found = candidate;
  }
  return found === undefined ? undefined : obj[found];
}

/**
 * Folds a key for case-insensitive comparison as Go's `encoding/json` does: each character
 * becomes `ToUpper(ToLower(c))`, so the Kelvin sign matches "k" and the long s matches "s".
 *
 * @param key The key.
 * @returns The folded key; two keys match when their folded forms are equal.
 *
 * @example Usage
 * ```ts
 * import { foldKey } from "./json.ts";
 *
 * foldKey("selinuxContext") === foldKey("SELINUXCONTEXT"); // true
 * ```
 */
export function foldKey(key: string): string {
  // Case mappings that turn one character into several ("ß" to "SS") have no
  // single-rune equivalent in Go and are skipped.
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(key)) return key.toUpperCase();
  let folded = "";
  for (const char of key) {
    const lower = singleChar(char.toLowerCase(), char);
    folded += singleChar(lower.toUpperCase(), lower);
  }
  return folded;
}

function singleChar(mapped: string, fallback: string): string {
  return [...mapped].length === 1 ? mapped : fallback;
}

/**
 * Computes the line, column and UTF-8 byte offset of a string index.
 *
 * @param text The whole text.
 * @param index A UTF-16 index into it (clamped to the text).
 * @returns The position.
 *
 * @example Usage
 * ```ts
 * import { positionAt } from "./json.ts";
 *
 * positionAt("{\n  é!", 5); // { line: 2, column: 4, offset: 6 }
 * ```
 */
export function positionAt(text: string, index: number): JsonPosition {
  const before = text.slice(0, Math.max(0, Math.min(index, text.length)));
  const lineStart = before.lastIndexOf("\n") + 1;
  return {
    line: before.split("\n").length,
    column: [...before.slice(lineStart)].length + 1,
    offset: new TextEncoder().encode(before).length,
  };
}

const ESCAPES: ReadonlyMap<string, string> = new Map([
  ['"', '"'],
  ["\\", "\\"],
  ["/", "/"],
  ["b", "\b"],
  ["f", "\f"],
  ["n", "\n"],
  ["r", "\r"],
  ["t", "\t"],
]);

const REPLACEMENT_CHARACTER = "\uFFFD";

class Parser {
  #text: string;
  #index = 0;
  #depth = 0;

  constructor(text: string) {
    this.#text = text;
  }

  parseDocument(): unknown {
    this.#skipSpace();
    const value = this.#value();
    this.#skipSpace();
    if (this.#index < this.#text.length) this.#fail("after top-level value");
    return value;
  }

  #value(): unknown {
    const char = this.#peek();
    switch (char) {
      case "{":
        return this.#object();
      case "[":
        return this.#array();
      case '"':
        return this.#string();
      case "t":
        return this.#literal("true", true);
      case "f":
        return this.#literal("false", false);
      case "n":
        return this.#literal("null", null);
    }
    if (char === "-" || isDigit(char)) return this.#number();
    return this.#fail("looking for beginning of value");
  }

  #object(): Record<string, unknown> {
    this.#enter();
    const obj: Record<string, unknown> = {};
    this.#skipSpace();
    if (this.#take("}")) return this.#leave(obj);
    for (;;) {
      if (this.#peek() !== '"') this.#fail("looking for beginning of object key string");
      const key = this.#string();
      this.#skipSpace();
      if (!this.#take(":")) this.#fail("after object key");
      this.#skipSpace();
      setMember(obj, key, this.#value());
      this.#skipSpace();
      if (this.#take("}")) return this.#leave(obj);
      if (!this.#take(",")) this.#fail("after object key:value pair");
      this.#skipSpace();
    }
  }

  #array(): unknown[] {
    this.#enter();
    const items: unknown[] = [];
    this.#skipSpace();
    if (this.#take("]")) return this.#leave(items);
    for (;;) {
      items.push(this.#value());
      this.#skipSpace();
      if (this.#take("]")) return this.#leave(items);
      if (!this.#take(",")) this.#fail("after array element");
      this.#skipSpace();
    }
  }

  #string(): string {
    const text = this.#text;
    let result = "";
    let chunkStart = ++this.#index;
    for (;;) {
      const code = text.charCodeAt(this.#index);
      if (code === 0x22) break;
      if (Number.isNaN(code) || code < 0x20) this.#fail("in string literal");
      if (code === 0x5c) {
        result += text.slice(chunkStart, this.#index) + this.#escape();
        chunkStart = this.#index;
      } else {
        this.#index++;
      }
    }
    result += text.slice(chunkStart, this.#index);
    this.#index++;
    return result;
  }

  // Called at the backslash; leaves the index after the escape.
  #escape(): string {
    this.#index++;
    const char = this.#peek();
    const simple = char === undefined ? undefined : ESCAPES.get(char);
    if (simple !== undefined) {
      this.#index++;
      return simple;
    }
    if (char !== "u") return this.#fail("in string escape code");
    const unit = this.#hex4();
    if (unit < 0xd800 || unit > 0xdfff) return String.fromCharCode(unit);
    // Go decodes a valid surrogate pair and turns anything else into U+FFFD.
    const rest = this.#text.slice(this.#index, this.#index + 6);
    const low = /^\\u[dD][c-fC-F][0-9a-fA-F]{2}$/.test(rest) ? parseInt(rest.slice(2), 16) : -1;
    if (unit > 0xdbff || low < 0) return REPLACEMENT_CHARACTER;
    this.#index += 6;
    return String.fromCharCode(unit, low);
  }

  // Called at the "u" of "\u"; leaves the index after the four digits.
  #hex4(): number {
    this.#index++;
    for (let i = 0; i < 4; i++) {
      if (!/^[0-9a-fA-F]$/.test(this.#peek() ?? "")) {
        this.#fail("in \\u hexadecimal character escape");
      }
      this.#index++;
    }
    return parseInt(this.#text.slice(this.#index - 4, this.#index), 16);
  }

  #number(): number | JsonFloat {
    const start = this.#index;
    if (this.#take("-") && !isDigit(this.#peek())) this.#fail("in numeric literal");
    if (!this.#take("0")) this.#digits();
    let integral = true;
    if (this.#take(".")) {
      if (!isDigit(this.#peek())) this.#fail("after decimal point in numeric literal");
      this.#digits();
      integral = false;
    }
    if (this.#take("e") || this.#take("E")) {
      if (!this.#take("+")) this.#take("-");
      if (!isDigit(this.#peek())) this.#fail("in exponent of numeric literal");
      this.#digits();
      integral = false;
    }
    const literal = this.#text.slice(start, this.#index);
    return integral ? Number(literal) : new JsonFloat(Number(literal), literal);
  }

  #digits(): void {
    while (isDigit(this.#peek())) this.#index++;
  }

  #literal<T>(word: string, value: T): T {
    for (const expected of word) {
      if (!this.#take(expected)) this.#fail(`in literal ${word} (expecting '${expected}')`);
    }
    return value;
  }

  #enter(): void {
    if (++this.#depth > MAX_DEPTH) {
      throw new JsonSyntaxError(
        `exceeded max nesting depth of ${MAX_DEPTH}`,
        positionAt(this.#text, this.#index),
      );
    }
    this.#index++;
  }

  #leave<T>(value: T): T {
    this.#depth--;
    return value;
  }

  #peek(): string | undefined {
    return this.#text[this.#index];
  }

  #take(char: string): boolean {
    if (this.#text[this.#index] !== char) return false;
    this.#index++;
    return true;
  }

  #skipSpace(): void {
    const text = this.#text;
    for (;;) {
      const char = text[this.#index];
      if (char !== " " && char !== "\t" && char !== "\n" && char !== "\r") return;
      this.#index++;
    }
  }

  // Reports the character at the index in Go's wording, or the end of input.
  #fail(context: string): never {
    const text = this.#text;
    const position = positionAt(text, this.#index);
    if (this.#index >= text.length) {
      throw new JsonSyntaxError("unexpected end of JSON input", position);
    }
    const char = String.fromCodePoint(text.codePointAt(this.#index) ?? 0);
    throw new JsonSyntaxError(`invalid character ${quoteChar(char)} ${context}`, position);
  }
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= "0" && char <= "9";
}

// Plain assignment would treat "__proto__" as the prototype, and a duplicate key must
// move to the end so that key order stays the order of last assignment.
function setMember(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (Object.hasOwn(obj, key)) delete obj[key];
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

// Go's quoteChar: the character in single quotes, escaped like a Go string literal.
function quoteChar(char: string): string {
  if (char === "'") return "'\\''";
  if (char === '"') return "'\"'";
  return `'${JSON.stringify(char).slice(1, -1)}'`;
}
