import { test } from "node:test";
import assert from "node:assert/strict";
import { CniError, ErrorCode, formatError, quote, quoteList } from "../cni/errors.ts";

test("ErrorCode has the spec's codes plus Go's 8 and 999", () => {
  assert.deepEqual(Object.values(ErrorCode), [1, 2, 3, 4, 5, 6, 7, 8, 11, 50, 999]);
  assert.equal(ErrorCode.PluginNotAvailable, 50);
  assert.equal(ErrorCode.InvalidEnv, 4);
  assert.equal(ErrorCode.Decoding, 6);
});

test("CniError carries code, msg and details, and joins them in its message", () => {
  const cause = new Error("root");
  const err = new CniError(7, "failed to load netconf", '"mtu" must be an integer', { cause });
  assert.ok(err instanceof Error);
  assert.equal(err.name, "CniError");
  assert.deepEqual([err.code, err.msg, err.details], [
    7,
    "failed to load netconf",
    '"mtu" must be an integer',
  ]);
  assert.equal(err.message, 'failed to load netconf: "mtu" must be an integer');
  assert.equal(err.cause, cause);
});

test("CniError treats empty details as none", () => {
  for (
    const err of [
      new CniError(7, "missing network name"),
      new CniError(7, "missing network name", ""),
    ]
  ) {
    assert.equal(err.message, "missing network name");
    assert.equal("details" in err, false);
    assert.equal(JSON.stringify(err), '{"code":7,"msg":"missing network name"}');
  }
});

test("formatError() prints 4-space indented JSON without a trailing newline", () => {
  assert.equal(
    formatError(new CniError(1, "incompatible CNI versions", 'config is "9.9.9"')),
    '{\n    "code": 1,\n    "msg": "incompatible CNI versions",\n    "details": "config is \\"9.9.9\\""\n}',
  );
});

test("formatError() puts cniVersion first when given", () => {
  assert.equal(
    formatError(new CniError(4, "unknown CNI_COMMAND: FOO"), "1.1.0"),
    '{\n    "cniVersion": "1.1.0",\n    "code": 4,\n    "msg": "unknown CNI_COMMAND: FOO"\n}',
  );
  assert.equal(formatError(new CniError(4, "x"), ""), '{\n    "code": 4,\n    "msg": "x"\n}');
});

test("quote() and quoteList() format strings like Go's %q", () => {
  assert.equal(quote('a"b\\c\n'), '"a\\"b\\\\c\\n"');
  assert.equal(quoteList(["FOO=bar", "X=1"]), '["FOO=bar" "X=1"]');
  assert.equal(quoteList([]), "[]");
});
