import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  checkVersionAllows,
  compareVersions,
  familyVersions,
  isSupportedVersion,
  SUPPORTED_VERSIONS,
  versionFamily,
  versionReport,
} from "../cni/version.ts";
import { assertCniError, SUPPORTED_DETAILS, VERSIONS } from "./cni_test_helpers.ts";

test("SUPPORTED_VERSIONS lists libcni's versions, oldest first, and cannot be changed", () => {
  assert.deepEqual(SUPPORTED_VERSIONS, VERSIONS);
  assert.ok(Object.isFrozen(SUPPORTED_VERSIONS));
});

test("isSupportedVersion() matches exactly", () => {
  assert.deepEqual(["1.1.0", "1.1", "", "v1.1.0", " 1.1.0"].map(isSupportedVersion), [
    true,
    false,
    false,
    false,
    false,
  ]);
});

describe("compareVersions()", () => {
  test("compareVersions() orders versions numerically, part by part", () => {
    assert.equal(compareVersions("0.4.0", "1.0.0"), -1);
    assert.equal(compareVersions("1.1.0", "1.0.0"), 1);
    assert.equal(compareVersions("0.3.1", "0.3.1"), 0);
    assert.equal(compareVersions("10.0.0", "9.0.0"), 1);
    assert.equal(compareVersions("0.10.0", "0.9.0"), 1);
  });

  test("compareVersions() accepts short versions, Go's integer syntax and empty as 0.1.0", () => {
    assert.equal(compareVersions("1.1", "1.1.0"), 0);
    assert.equal(compareVersions("1", "1.0.0"), 0);
    assert.equal(compareVersions("01.1.0", "1.1.0"), 0);
    assert.equal(compareVersions("+1.0.0", "1.0.0"), 0);
    assert.equal(compareVersions("", "0.1.0"), 0);
  });

  test("compareVersions() rejects what Go's ParseVersion rejects, with code 6", () => {
    const cases: Array<[string, string]> = [
      ["1.1.0-rc1", '"0-rc1" is not an integer'],
      ["1.2.3.4", "too many parts"],
      ["1.", '"" is not an integer'],
      ["v1", '"v1" is not an integer'],
    ];
    for (const [version, details] of cases) {
      const msg = `Cannot parse version "${version}"`;
      assertCniError(() => compareVersions(version, "1.0.0"), { code: 6, msg, details });
      assertCniError(() => compareVersions("1.0.0", version), { code: 6, msg, details });
    }
  });
});

describe("versionFamily()", () => {
  test("versionFamily() groups versions by result format", () => {
    assert.deepEqual(["", ...VERSIONS].map(versionFamily), [
      "0.1",
      "0.1",
      "0.1",
      "0.3",
      "0.3",
      "0.3",
      "1",
      "1",
    ]);
  });

  test("versionFamily() rejects other versions with code 1", () => {
    for (const version of ["1.2.0", "1.1", "constructor", "__proto__"]) {
      assertCniError(() => versionFamily(version), {
        code: 1,
        msg: `Cannot use CNI version "${version}"`,
        details: SUPPORTED_DETAILS,
      });
    }
  });

  test("familyVersions() lists each family's versions", () => {
    assert.deepEqual(familyVersions("0.1"), ["0.1.0", "0.2.0"]);
    assert.deepEqual(familyVersions("0.3"), ["0.3.0", "0.3.1", "0.4.0"]);
    assert.deepEqual(familyVersions("1"), ["1.0.0", "1.1.0"]);
  });
});

describe("checkVersionAllows()", () => {
  test("checkVersionAllows() allows CHECK from 0.4.0 and STATUS and GC from 1.1.0", () => {
    for (const version of ["0.4.0", "1.0.0", "1.1.0", "1.1"]) checkVersionAllows("CHECK", version);
    checkVersionAllows("STATUS", "1.1.0");
    checkVersionAllows("GC", "1.1.0");
  });

  test("checkVersionAllows() refuses commands the config is too old or too new for", () => {
    const cases: Array<["CHECK" | "STATUS" | "GC", string, string]> = [
      ["CHECK", "0.3.1", "config version does not allow CHECK"],
      ["CHECK", "0.1.0", "config version does not allow CHECK"],
      ["CHECK", "", "config version does not allow CHECK"],
      ["STATUS", "1.0.0", "config version does not allow STATUS"],
      ["GC", "0.4.0", "config version does not allow GC"],
      ["CHECK", "1.2.0", "plugin version does not allow CHECK"],
      ["GC", "2.0", "plugin version does not allow GC"],
    ];
    for (const [command, version, msg] of cases) {
      assertCniError(() => checkVersionAllows(command, version), { code: 1, msg });
    }
  });

  test("checkVersionAllows() reports an unparsable version with code 6", () => {
    assertCniError(() => checkVersionAllows("STATUS", "x"), {
      code: 6,
      msg: 'Cannot parse version "x"',
      details: '"x" is not an integer',
    });
  });
});

describe("versionReport()", () => {
  const report = (cniVersion: string) =>
    `{"cniVersion":"${cniVersion}","supportedVersions":` +
    `${JSON.stringify(VERSIONS)}}\n`;

  test("versionReport() echoes a supported input version", () => {
    for (const version of VERSIONS) {
      assert.equal(versionReport(JSON.stringify({ cniVersion: version })), report(version));
    }
    assert.equal(versionReport('{"CNIVERSION":"0.4.0"}'), report("0.4.0"));
  });

  test("versionReport() reports 1.1.0 for anything else and never throws", () => {
    const inputs = [
      "",
      "   ",
      "garbage",
      "[1]",
      '{"cniVersion":"9.9.9"}',
      '{"cniVersion":5}',
      '{"cniVersion":',
      "null",
    ];
    for (const input of inputs) assert.equal(versionReport(input), report("1.1.0"), input);
  });
});
