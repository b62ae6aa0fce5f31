import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  foldKey,
  getFold,
  isJsonObject,
  JsonFloat,
  jsonKind,
  JsonSyntaxError,
  MAX_DEPTH,
  parseJson,
  parseJsonObject,
  positionAt,
} from "../cni/json.ts";

function syntaxError(text: string): JsonSyntaxError {
  try {
    parseJson(text);
  } catch (err) {
    assert.ok(err instanceof JsonSyntaxError, `expected a JsonSyntaxError, got ${String(err)}`);
    return err;
  }
  assert.fail(`parseJson(${JSON.stringify(text)}) did not throw`);
}

describe("parseJson()", () => {
  test("parseJson() parses every kind of value", () => {
    assert.deepEqual(
      parseJson(' { "s": "x", "n": -12, "t": true, "f": false, "z": null, "a": [1, [], {}] } '),
      { s: "x", n: -12, t: true, f: false, z: null, a: [1, [], {}] },
    );
  });

  test("parseJson() returns integer literals as numbers, others as JsonFloat with their text", () => {
    assert.equal(parseJson("1400"), 1400);
    assert.ok(Object.is(parseJson("-0"), -0));
    for (const literal of ["1400.0", "1e3", "1E+3", "-2.5e-1", "0.5"]) {
      const value = parseJson(literal);
      assert.ok(value instanceof JsonFloat, literal);
      assert.equal(value.text, literal);
      assert.equal(value.value, Number(literal));
    }
  });

  test("parseJson() values round-trip through JSON.stringify", () => {
    const text = '{"mtu":1400.0,"list":[1e3,"a\\u00e9"],"nested":{"x":null}}';
    assert.equal(
      JSON.stringify(parseJson(text)),
      '{"mtu":1400,"list":[1000,"aé"],"nested":{"x":null}}',
    );
    assert.equal(+new JsonFloat(1.5, "1.50"), 1.5);
    assert.equal(String(new JsonFloat(1000, "1e3")), "1e3");
  });

  test("parseJson() lets the last duplicate key win and moves it to the end", () => {
    const value = parseJson('{"a": 1, "b": 2, "a": 3}') as Record<string, unknown>;
    assert.deepEqual(value, { b: 2, a: 3 });
    assert.deepEqual(Object.keys(value), ["b", "a"]);
  });

  test("parseJson() keeps a __proto__ key as an ordinary property", () => {
    const value = parseJson('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.keys(value), ["__proto__", "a"]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test("parseJson() decodes escapes and surrogate pairs, and replaces lone surrogates", () => {
    assert.equal(parseJson('"\\"\\\\\\/\\b\\f\\n\\r\\t"'), '"\\/\b\f\n\r\t');
    assert.equal(parseJson('"\\u00e9\\uD83D\\uDE00"'), "é😀");
    assert.equal(parseJson('"a\\uD83Db"'), "a\uFFFDb");
    assert.equal(parseJson('"\\uDE00\\u0041"'), "\uFFFDA");
    assert.equal(parseJson('"\\uD83D\\u0041"'), "\uFFFDA");
    assert.equal(parseJson('"é 😀"'), "é 😀");
  });

  test("parseJson() rejects empty input with Go's message and the position", () => {
    assert.equal(
      syntaxError("").message,
      "unexpected end of JSON input at line 1, column 1 (offset 0)",
    );
    assert.equal(
      syntaxError(" \n ").message,
      "unexpected end of JSON input at line 2, column 2 (offset 3)",
    );
  });

  test("parseJson() names the broken character and its context in Go's words", () => {
    const cases: Array<[string, string]> = [
      ['{"a":1 "b":2}', "invalid character '\"' after object key:value pair"],
      ['{"a" 1}', "invalid character '1' after object key"],
      ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
      ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
      ["[1,]", "invalid character ']' looking for beginning of value"],
      ["[1 2]", "invalid character '2' after array element"],
      ["trUe", "invalid character 'U' in literal true (expecting 'u')"],
      ["nul1", "invalid character '1' in literal null (expecting 'l')"],
      ["01", "invalid character '1' after top-level value"],
      ["1.x", "invalid character 'x' after decimal point in numeric literal"],
      ["1ex", "invalid character 'x' in exponent of numeric literal"],
      ["-x", "invalid character 'x' in numeric literal"],
      ["+1", "invalid character '+' looking for beginning of value"],
      ['"a\\x"', "invalid character 'x' in string escape code"],
      ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
      ['"a\nb"', "invalid character '\\n' in string literal"],
      ["// comment\n{}", "invalid character '/' looking for beginning of value"],
      ["{} {}", "invalid character '{' after top-level value"],
      ["NaN", "invalid character 'N' looking for beginning of value"],
    ];
    for (const [text, reason] of cases) assert.equal(syntaxError(text).reason, reason, text);
  });

  test("parseJson() reports truncated input as unexpected end", () => {
    for (const text of ['{"cniVersion":', "[1,", '"abc', '"\\u12', "tru", "-", "1.", "1e+", "{"]) {
      assert.equal(syntaxError(text).reason, "unexpected end of JSON input", text);
    }
  });

  test("parseJson() rejects a byte order mark and non-JSON whitespace", () => {
    assert.match(
      syntaxError("\uFEFF{}").reason,
      /^invalid character .* looking for beginning of value$/,
    );
    assert.equal(
      syntaxError("\u00a0{}").reason,
      "invalid character '\u00a0' looking for beginning of value",
    );
  });

  test("parseJson() gives line, column in characters and offset in UTF-8 bytes", () => {
    const err = syntaxError('{\n  "a": 1,\n  "b" 2\n}');
    assert.deepEqual([err.line, err.column, err.offset], [3, 7, 18]);
    assert.equal(
      err.message,
      "invalid character '2' after object key at line 3, column 7 (offset 18)",
    );
    const multiByte = syntaxError('["ééé" x]');
    assert.deepEqual([multiByte.line, multiByte.column, multiByte.offset], [1, 8, 10]);
  });

  test("parseJson() accepts nesting up to MAX_DEPTH and rejects deeper input cleanly", () => {
    assert.equal(MAX_DEPTH, 512);
    assert.equal(JSON.stringify(parseJson("[".repeat(512) + "]".repeat(512))).length, 1024);
    assert.equal(
      syntaxError("[".repeat(513) + "]".repeat(513)).message,
      "exceeded max nesting depth of 512 at line 1, column 513 (offset 512)",
    );
    assert.equal(syntaxError('{"a":'.repeat(100_000)).reason, "exceeded max nesting depth of 512");
  });

  test("parseJson() errors are SyntaxErrors named JsonSyntaxError", () => {
    const err = syntaxError("x");
    assert.ok(err instanceof SyntaxError);
    assert.equal(err.name, "JsonSyntaxError");
  });
});

describe("parseJsonObject()", () => {
  test("parseJsonObject() returns the top-level object", () => {
    assert.deepEqual(parseJsonObject('{"name": "tapnet"}'), { name: "tapnet" });
  });

  test("parseJsonObject() rejects other top-level values at their position", () => {
    assert.throws(() => parseJsonObject("\n  [1]"), {
      name: "JsonSyntaxError",
      message: "expected an object at top level, found an array at line 2, column 3 (offset 3)",
    });
    assert.throws(() => parseJsonObject('"x"'), { message: /found a string at line 1, column 1/ });
    assert.throws(() => parseJsonObject("null"), { message: /found null/ });
  });
});

describe("getFold()", () => {
  test("getFold() matches keys case-insensitively", () => {
    assert.equal(getFold({ SELINUXCONTEXT: "x" }, "selinuxContext"), "x");
    assert.equal(getFold({ multiqueue: true }, "multiQueue"), true);
    assert.equal(getFold({ mtu: 1 }, "mac"), undefined);
  });

  test("getFold() lets the last case variant in document order win", () => {
    const parsed = (text: string) => parseJson(text) as Record<string, unknown>;
    assert.equal(getFold(parsed('{"mtu":1,"MTU":2,"mtu":3}'), "mtu"), 3);
    assert.equal(getFold(parsed('{"MTU":2,"mtu":1}'), "mtu"), 1);
    assert.equal(getFold(parsed('{"mtu":1,"MTU":2}'), "mtu"), 2);
  });

  test("getFold() folds like Go: the Kelvin sign matches k and the long s matches s", () => {
    assert.equal(getFold({ "\u212Aey": 1 }, "key"), 1);
    assert.equal(getFold({ "\u017Felinuxcontext": 2 }, "selinuxContext"), 2);
    assert.equal(foldKey("straße"), "STRAßE");
    assert.notEqual(foldKey("strasse"), foldKey("straße"));
  });
});

describe("helpers", () => {
  test("isJsonObject() accepts plain objects only", () => {
    assert.equal(isJsonObject({}), true);
    assert.equal(isJsonObject(Object.create(null)), true);
    for (const value of [[], null, "x", 1, new JsonFloat(1, "1.0"), new Date()]) {
      assert.equal(isJsonObject(value), false, String(value));
    }
  });

  test("jsonKind() names each JSON type with an article", () => {
    assert.deepEqual(
      [{}, [], "x", 1, new JsonFloat(1, "1.0"), true, null].map(jsonKind),
      ["an object", "an array", "a string", "a number", "a number", "a boolean", "null"],
    );
  });

  test("positionAt() counts lines, characters and UTF-8 bytes", () => {
    assert.deepEqual(positionAt("{\n  é!", 5), { line: 2, column: 4, offset: 6 });
    assert.deepEqual(positionAt("😀x", 2), { line: 1, column: 2, offset: 4 });
    assert.deepEqual(positionAt("ab", 99), { line: 1, column: 3, offset: 2 });
  });
});
