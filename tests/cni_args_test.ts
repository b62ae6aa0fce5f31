import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCniArgs } from "../cni/args.ts";
import { assertCniError } from "./cni_test_helpers.ts";

function assertArgsError(text: string, msg: string): void {
  assertCniError(() => parseCniArgs(text), { code: 4, msg });
}

test("parseCniArgs() returns no pairs for an empty string", () => {
  assert.deepEqual(parseCniArgs(""), { ignoreUnknown: false, pairs: [] });
});

test("parseCniArgs() reads MAC and IP", () => {
  assert.deepEqual(parseCniArgs("MAC=50:00:00:00:00:10;IP=10.1.0.5/24"), {
    mac: "50:00:00:00:00:10",
    ip: "10.1.0.5/24",
    ignoreUnknown: false,
    pairs: [["MAC", "50:00:00:00:00:10"], ["IP", "10.1.0.5/24"]],
  });
});

test("parseCniArgs() accepts the Kubernetes keys under IgnoreUnknown", () => {
  const text = "IgnoreUnknown=1;K8S_POD_NAMESPACE=demo;K8S_POD_NAME=web;" +
    "K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=123;MAC=50:00:00:00:00:10";
  const args = parseCniArgs(text);
  assert.equal(args.ignoreUnknown, true);
  assert.equal(args.mac, "50:00:00:00:00:10");
  assert.deepEqual(args.pairs.map(([key]) => key), [
    "IgnoreUnknown",
    "K8S_POD_NAMESPACE",
    "K8S_POD_NAME",
    "K8S_POD_INFRA_CONTAINER_ID",
    "K8S_POD_UID",
    "MAC",
  ]);
});

test("parseCniArgs() reads IgnoreUnknown as Go's boolean, wherever it stands", () => {
  for (const value of ["1", "true", "True", "TRUE"]) {
    assert.equal(parseCniArgs(`FOO=bar;IgnoreUnknown=${value}`).ignoreUnknown, true, value);
  }
  for (const value of ["0", "false", "False"]) {
    assert.equal(parseCniArgs(`IgnoreUnknown=${value}`).ignoreUnknown, false, value);
    assertArgsError(`IgnoreUnknown=${value};FOO=bar`, 'invalid CNI_ARGS: unknown args ["FOO=bar"]');
  }
});

test("parseCniArgs() rejects an IgnoreUnknown value that is not a boolean", () => {
  assertArgsError("IgnoreUnknown=yes", 'invalid CNI_ARGS: invalid boolean "yes" for IgnoreUnknown');
  assertArgsError("IgnoreUnknown=", 'invalid CNI_ARGS: invalid boolean "" for IgnoreUnknown');
});

test("parseCniArgs() rejects unknown keys without IgnoreUnknown, listing them Go-style", () => {
  assertArgsError("FOO=bar", 'invalid CNI_ARGS: unknown args ["FOO=bar"]');
  assertArgsError(
    "FOO=bar;MAC=50:00:00:00:00:10;K8S_POD_NAME=web",
    'invalid CNI_ARGS: unknown args ["FOO=bar" "K8S_POD_NAME=web"]',
  );
});

test("parseCniArgs() matches keys case-sensitively", () => {
  assertArgsError(
    "mac=50:00:00:00:00:10",
    'invalid CNI_ARGS: unknown args ["mac=50:00:00:00:00:10"]',
  );
  assert.equal(parseCniArgs("IgnoreUnknown=1;mac=50:00:00:00:00:10").mac, undefined);
});

test("parseCniArgs() rejects pairs that do not split into exactly two parts", () => {
  assertArgsError("FOO", 'invalid CNI_ARGS: invalid pair "FOO"');
  assertArgsError("IgnoreUnknown=1;A=b=c", 'invalid CNI_ARGS: invalid pair "A=b=c"');
  assertArgsError("MAC=50:00:00:00:00:10;", 'invalid CNI_ARGS: invalid pair ""');
  assertArgsError(";", 'invalid CNI_ARGS: invalid pair ""');
});

test("parseCniArgs() reports the first bad pair in order", () => {
  assertArgsError(
    "IgnoreUnknown=yes;FOO",
    'invalid CNI_ARGS: invalid boolean "yes" for IgnoreUnknown',
  );
  assertArgsError("FOO;IgnoreUnknown=yes", 'invalid CNI_ARGS: invalid pair "FOO"');
});

test("parseCniArgs() lets the last MAC win and treats an empty one as not given", () => {
  assert.equal(
    parseCniArgs("MAC=c2:00:00:00:00:01;MAC=c2:00:00:00:00:02").mac,
    "c2:00:00:00:00:02",
  );
  assert.deepEqual(parseCniArgs("MAC=;IP="), {
    ignoreUnknown: false,
    pairs: [["MAC", ""], ["IP", ""]],
  });
});
