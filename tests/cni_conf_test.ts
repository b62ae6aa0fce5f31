import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseCniArgs } from "../cni/args.ts";
import { type NetConf, parseNetConf, resolveMac } from "../cni/conf.ts";
import type { CniCommand } from "../cni/env.ts";
import { assertCniError, QUOTED_VERSIONS } from "./cni_test_helpers.ts";

const BASE = { cniVersion: "1.1.0", name: "tapnet", type: "tap" };

function conf(extra: Record<string, unknown>): NetConf {
  return parseNetConf(JSON.stringify({ ...BASE, ...extra }));
}

function assertLoadError(json: string, details: string): void {
  assertCniError(() => parseNetConf(json), { code: 7, msg: "failed to load netconf", details });
}

function assertKeyError(extra: string, details: string): void {
  assertLoadError(`{"cniVersion":"1.1.0","name":"tapnet",${extra}}`, details);
}

describe("parseNetConf() decodes the plugin's keys", () => {
  test("parseNetConf() decodes a minimal config", () => {
    assert.deepEqual(conf({}), { ...BASE, multiQueue: false });
  });

  test("parseNetConf() decodes every key the plugin reads", () => {
    const input = {
      mac: "c2:00:00:00:00:01",
      mtu: 1400,
      multiQueue: true,
      owner: 1000,
      group: 4294967295,
      selinuxContext: "system_u:system_r:container_t:s0",
      bridge: "br0",
      ipam: { type: "host-local", subnet: "10.56.0.0/24", routes: [{ dst: "0.0.0.0/0" }] },
      dns: {
        nameservers: ["10.56.0.1"],
        domain: "example.local",
        search: ["a"],
        options: ["ndots:2"],
      },
      runtimeConfig: { mac: "c2:00:00:00:00:02", portMappings: [] },
      prevResult: { cniVersion: "1.1.0", interfaces: [{ name: "tap0" }] },
      args: { cni: { labels: [] } },
    };
    const { args: _args, runtimeConfig: _runtimeConfig, ...kept } = input;
    assert.deepEqual(conf(input), {
      ...BASE,
      ...kept,
      runtimeConfig: { mac: "c2:00:00:00:00:02" },
    });
  });

  test("parseNetConf() matches keys case-insensitively", () => {
    const parsed = parseNetConf(
      '{"CNIVERSION":"0.4.0","NAME":"tapnet","Type":"tap","MULTIQUEUE":true,"Mtu":1400,' +
        '"MAC":"c2:00:00:00:00:01","selinuxcontext":"ctx","OWNER":0,"Group":0,"BRIDGE":"br0",' +
        '"IPAM":{"TYPE":"host-local","Subnet":"10.56.0.0/24"},"DNS":{"NameServers":["10.56.0.1"]},' +
        '"RuntimeConfig":{"Mac":"c2:00:00:00:00:02"},"PrevResult":{"cniVersion":"0.4.0"}}',
    );
    assert.deepEqual(parsed, {
      cniVersion: "0.4.0",
      name: "tapnet",
      type: "tap",
      multiQueue: true,
      mtu: 1400,
      mac: "c2:00:00:00:00:01",
      selinuxContext: "ctx",
      owner: 0,
      group: 0,
      bridge: "br0",
      ipam: { type: "host-local", Subnet: "10.56.0.0/24" },
      dns: { nameservers: ["10.56.0.1"] },
      runtimeConfig: { mac: "c2:00:00:00:00:02" },
      prevResult: { cniVersion: "0.4.0" },
    });
  });

  test("parseNetConf() lets the last duplicate win among all case variants", () => {
    const head = '{"cniVersion":"1.1.0","name":"tapnet",';
    assert.equal(parseNetConf(`${head}"mtu":1,"MTU":2,"mtu":3}`).mtu, 3);
    assert.equal(parseNetConf(`${head}"MTU":2,"mtu":1}`).mtu, 1);
    assert.equal(parseNetConf(`${head}"mtu":1,"MTU":2}`).mtu, 2);
    assert.equal(parseNetConf(`${head}"owner":"bad","Owner":5}`).owner, 5);
    assert.equal(parseNetConf('{"name":"a","NAME":"b","cniVersion":"1.0.0"}').name, "b");
  });

  test("parseNetConf() treats null as not given", () => {
    const parsed = conf({
      mac: null,
      mtu: null,
      multiQueue: null,
      owner: null,
      group: null,
      selinuxContext: null,
      bridge: null,
      ipam: null,
      dns: null,
      runtimeConfig: null,
      prevResult: null,
      args: null,
    });
    assert.deepEqual(parsed, { ...BASE, multiQueue: false });
    assert.equal(parseNetConf('{"cniVersion":null,"name":"tapnet"}').cniVersion, "0.1.0");
    assert.deepEqual(conf({ ipam: { type: null, subnet: "x" } }).ipam, { subnet: "x" });
  });

  test("parseNetConf() treats empty strings and an mtu of 0 as not given", () => {
    const parsed = conf({
      mac: "",
      mtu: 0,
      selinuxContext: "",
      bridge: "",
      type: "",
      ipam: { type: "" },
    });
    assert.deepEqual(parsed, { cniVersion: "1.1.0", name: "tapnet", multiQueue: false, ipam: {} });
  });

  test("parseNetConf() drops empty DNS members and an empty dns object", () => {
    assert.deepEqual(conf({ dns: { nameservers: [], domain: "d", search: [] } }).dns, {
      domain: "d",
    });
    assert.equal(conf({ dns: { nameservers: [], domain: "" } }).dns, undefined);
    assert.equal(conf({ dns: {} }).dns, undefined);
  });

  test("parseNetConf() ignores unknown keys and accepts any args object", () => {
    assert.deepEqual(
      conf({
        capabilities: { mac: true },
        "cni.dev/valid-attachments": [],
        extra: [1, 2],
        args: { cni: { ips: ["10.0.0.1/24"] } },
        __proto__: { polluted: true },
      }),
      { ...BASE, multiQueue: false },
    );
  });

  test("parseNetConf() keeps integer literals at the edges of their ranges", () => {
    assert.deepEqual(
      [conf({ owner: 0, group: 4294967295 }).owner, conf({ mtu: 65535 }).mtu, conf({ mtu: 1 }).mtu],
      [0, 65535, 1],
    );
  });

  test("parseNetConf() passes prevResult through undecoded", () => {
    const prevResult = { cniVersion: "1.1.0", ips: [{ address: "10.1.0.5/16" }], extra: { x: 1 } };
    assert.deepEqual(conf({ prevResult }).prevResult, prevResult);
  });

  test("parseNetConf() output can be serialised again", () => {
    const text =
      '{"cniVersion":"1.1.0","name":"tapnet","dns":{"Domain":"d"},"ipam":{"type":"x","n":1.50}}';
    assert.equal(
      JSON.stringify(parseNetConf(text)),
      '{"ipam":{"type":"x","n":1.5},"dns":{"domain":"d"},"cniVersion":"1.1.0","name":"tapnet","multiQueue":false}',
    );
  });
});

describe("parseNetConf() rejects values of the wrong type", () => {
  test("parseNetConf() rejects owner and group values that are not uint32 literals", () => {
    const cases: Array<[string, string]> = [
      ['"0"', '"0"'],
      ["-1", "-1"],
      ["1e3", "1e3"],
      ["1.5", "1.5"],
      ["0.0", "0.0"],
      ["4294967296", "4294967296"],
      ["-0", "-0"],
      ["true", "true"],
      ["[]", "an array"],
    ];
    for (const [json, shown] of cases) {
      assertKeyError(`"owner":${json}`, `"owner" must be an unsigned 32-bit integer, got ${shown}`);
      assertKeyError(`"group":${json}`, `"group" must be an unsigned 32-bit integer, got ${shown}`);
    }
  });

  test("parseNetConf() rejects an mtu that is not an integer literal from 0 to 65535", () => {
    assertKeyError('"mtu":1400.0', '"mtu" must be an integer, got 1400.0');
    assertKeyError('"mtu":14e2', '"mtu" must be an integer, got 14e2');
    assertKeyError('"mtu":"1400"', '"mtu" must be an integer, got "1400"');
    assertKeyError('"mtu":70000', '"mtu" must be an integer from 0 to 65535, got 70000');
    assertKeyError('"mtu":-1', '"mtu" must be an integer from 0 to 65535, got -1');
  });

  test("parseNetConf() rejects a multiQueue that is not a JSON boolean", () => {
    assertKeyError('"multiQueue":"yes"', '"multiQueue" must be a boolean, got "yes"');
    assertKeyError('"multiqueue":1', '"multiQueue" must be a boolean, got 1');
    assertKeyError('"multiQueue":"true"', '"multiQueue" must be a boolean, got "true"');
  });

  test("parseNetConf() rejects string keys given other types", () => {
    assertKeyError('"mac":5', '"mac" must be a string, got 5');
    assertKeyError('"selinuxcontext":true', '"selinuxContext" must be a string, got true');
    assertKeyError('"bridge":["br0"]', '"bridge" must be a string, got an array');
    assertKeyError('"type":{}', '"type" must be a string, got an object');
  });

  test("parseNetConf() rejects args, ipam, runtimeConfig and prevResult that are not objects", () => {
    assertKeyError('"args":"x"', '"args" must be an object, got "x"');
    assertKeyError('"args":[]', '"args" must be an object, got an array');
    assertKeyError('"ipam":"host-local"', '"ipam" must be an object, got "host-local"');
    assertKeyError('"ipam":1.5', '"ipam" must be an object, got 1.5');
    assertKeyError('"runtimeConfig":"x"', '"runtimeConfig" must be an object, got "x"');
    assertKeyError('"prevResult":[]', '"prevResult" must be an object, got an array');
  });

  test("parseNetConf() checks the members of ipam, runtimeConfig and dns", () => {
    assertKeyError('"ipam":{"Type":5}', '"ipam.type" must be a string, got 5');
    assertKeyError('"runtimeConfig":{"MAC":5}', '"runtimeConfig.mac" must be a string, got 5');
    assertKeyError('"dns":"x"', '"dns" must be an object, got "x"');
    assertKeyError(
      '"dns":{"nameservers":"8.8.8.8"}',
      '"dns.nameservers" must be an array of strings, got "8.8.8.8"',
    );
    assertKeyError('"dns":{"search":["a",5]}', '"dns.search[1]" must be a string, got 5');
    assertKeyError('"dns":{"domain":1}', '"dns.domain" must be a string, got 1');
  });

  test("parseNetConf() reports every wrong key at once", () => {
    assertKeyError(
      '"mtu":1400.0,"owner":"0","multiQueue":"yes"',
      '"mtu" must be an integer, got 1400.0; "multiQueue" must be a boolean, got "yes"; ' +
        '"owner" must be an unsigned 32-bit integer, got "0"',
    );
  });
});

describe("parseNetConf() follows skel's checks", () => {
  test("parseNetConf() reports broken JSON with line, column and offset (the user-story config)", () => {
    const broken = `{
  "cniVersion": "0.4.0",
  "name": "tap-net",
  "type": "tap",
  "multiQueue": true,
  "selinuxcontext": "system_u:system_r:container_t:s0"
  "owner": 0,
  "group": 0,
  "ipam": {"type": "host-local", "subnet": "10.56.0.0/24"}
}`;
    assertCniError(() => parseNetConf(broken), {
      code: 6,
      msg: "error unmarshall network config",
      details:
        "invalid character '\"' after object key:value pair at line 7, column 3 (offset 144)",
    });
  });

  test("parseNetConf() reports empty input and other non-objects as decoding errors", () => {
    const decoding = (details: string) => ({
      code: 6,
      msg: "error unmarshall network config",
      details,
    });
    assertCniError(
      () => parseNetConf(""),
      decoding("unexpected end of JSON input at line 1, column 1 (offset 0)"),
    );
    assertCniError(
      () => parseNetConf('{"cniVersion":'),
      decoding("unexpected end of JSON input at line 1, column 15 (offset 14)"),
    );
    assertCniError(
      () => parseNetConf("[]"),
      decoding("expected an object at top level, found an array at line 1, column 1 (offset 0)"),
    );
    assertCniError(
      () => parseNetConf(`${"[".repeat(600)}${"]".repeat(600)}`),
      decoding("exceeded max nesting depth of 512 at line 1, column 513 (offset 512)"),
    );
    assertCniError(
      () => parseNetConf(`{"name":"tapnet","ipam":${'{"a":'.repeat(600)}1${"}".repeat(600)}}`),
      decoding("exceeded max nesting depth of 512 at line 1, column 2580 (offset 2579)"),
    );
  });

  test("parseNetConf() requires a network name of the allowed characters", () => {
    assertCniError(() => parseNetConf('{"cniVersion":"1.1.0"}'), {
      code: 7,
      msg: "missing network name",
    });
    assertCniError(() => parseNetConf('{"name":""}'), { code: 7, msg: "missing network name" });
    assertCniError(() => parseNetConf('{"name":null}'), { code: 7, msg: "missing network name" });
    for (const name of ["-bad", "a b", "a/b", "é"]) {
      assertCniError(() => parseNetConf(JSON.stringify({ name })), {
        code: 7,
        msg: "invalid characters found in network name",
        details: name,
      });
    }
  });

  test("parseNetConf() reports a name that is not a string as a decoding error", () => {
    assertCniError(() => parseNetConf('{"name":5}'), {
      code: 6,
      msg: "error unmarshall network config",
      details: '"name" must be a string, got 5',
    });
  });

  test("parseNetConf() defaults cniVersion to 0.1.0 and rejects unsupported versions", () => {
    assert.equal(parseNetConf('{"name":"tapnet"}').cniVersion, "0.1.0");
    assert.equal(parseNetConf('{"name":"tapnet","cniVersion":""}').cniVersion, "0.1.0");
    for (const version of ["9.9.9", "1.1", "1.0.0-rc1", "v1.0.0"]) {
      assertCniError(() => parseNetConf(JSON.stringify({ name: "tapnet", cniVersion: version })), {
        code: 1,
        msg: "incompatible CNI versions",
        details: `config is "${version}", plugin supports ${QUOTED_VERSIONS}`,
      });
    }
  });

  test("parseNetConf() reports a cniVersion that is not a string as a decoding error", () => {
    assertCniError(() => parseNetConf('{"name":"tapnet","cniVersion":1.1}'), {
      code: 6,
      msg: "decoding version from network config",
      details: '"cniVersion" must be a string, got 1.1',
    });
  });

  test("parseNetConf() checks in skel's order: syntax, name, version, then the plugin's keys", () => {
    assertCniError(() => parseNetConf('{"name":"-bad","cniVersion":"9.9.9","mtu":"x",}'), {
      code: 6,
      msg: "error unmarshall network config",
      details:
        "invalid character '}' looking for beginning of object key string at line 1, column 47 (offset 46)",
    });
    assertCniError(() => parseNetConf('{"name":"-bad","cniVersion":"9.9.9","mtu":"x"}'), {
      code: 7,
      msg: "invalid characters found in network name",
      details: "-bad",
    });
    assertCniError(() => parseNetConf('{"name":"ok","cniVersion":"9.9.9","mtu":"x"}'), {
      code: 1,
      msg: "incompatible CNI versions",
      details: `config is "9.9.9", plugin supports ${QUOTED_VERSIONS}`,
    });
  });

  test("parseNetConf() applies the CHECK, STATUS and GC version gates where skel does", () => {
    const text = (cniVersion: string) => JSON.stringify({ name: "tapnet", cniVersion, mtu: "x" });
    const cases: Array<[CniCommand, string, string]> = [
      ["CHECK", "0.3.1", "config version does not allow CHECK"],
      ["CHECK", "0.3.5", "config version does not allow CHECK"],
      ["CHECK", "9.9.9", "plugin version does not allow CHECK"],
      ["STATUS", "1.0.0", "config version does not allow STATUS"],
      ["GC", "1.0.0", "config version does not allow GC"],
    ];
    for (const [command, version, msg] of cases) {
      assertCniError(() => parseNetConf(text(version), { command }), { code: 1, msg });
    }
    assertCniError(() => parseNetConf(text("1.1.0-rc1"), { command: "GC" }), {
      code: 6,
      msg: 'Cannot parse version "1.1.0-rc1"',
      details: '"0-rc1" is not an integer',
    });
    assert.equal(
      parseNetConf('{"name":"t","cniVersion":"0.4.0"}', { command: "CHECK" }).cniVersion,
      "0.4.0",
    );
    assert.equal(
      parseNetConf('{"name":"t","cniVersion":"0.3.1"}', { command: "ADD" }).cniVersion,
      "0.3.1",
    );
  });
});

describe("resolveMac()", () => {
  const withMacs = conf({ mac: "c2:00:00:00:00:01", runtimeConfig: { mac: "c2:00:00:00:00:03" } });
  const confOnly = conf({ mac: "c2:00:00:00:00:01" });

  test("resolveMac() prefers runtimeConfig.mac, then CNI_ARGS MAC, then the config's mac", () => {
    const args = parseCniArgs("IgnoreUnknown=1;MAC=c2:00:00:00:00:02");
    assert.equal(resolveMac(withMacs, args), "c2:00:00:00:00:03");
    assert.equal(resolveMac(confOnly, args), "c2:00:00:00:00:02");
    assert.equal(resolveMac(confOnly, parseCniArgs("")), "c2:00:00:00:00:01");
    assert.equal(resolveMac(conf({}), parseCniArgs("")), undefined);
  });

  test("resolveMac() treats empty values as not given", () => {
    const empty = conf({ mac: "", runtimeConfig: { mac: "" } });
    assert.equal(resolveMac(empty, parseCniArgs("MAC=")), undefined);
    const handMade: NetConf = { ...confOnly, runtimeConfig: { mac: "" } };
    assert.equal(
      resolveMac(handMade, { ignoreUnknown: false, pairs: [], mac: "" }),
      "c2:00:00:00:00:01",
    );
  });
});
