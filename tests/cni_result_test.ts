import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseJson } from "../cni/json.ts";
import {
  canExpressResult,
  formatResult,
  parsePrevResult,
  parseResult,
  type Result,
} from "../cni/result.ts";
import { SUPPORTED_VERSIONS, versionFamily } from "../cni/version.ts";
import { assertCniError, SUPPORTED_DETAILS } from "./cni_test_helpers.ts";

/** JSON as libcni prints a result (Go's json.MarshalIndent with four spaces), to compare text. */
const pretty = (x: unknown): string => JSON.stringify(x, null, 4);

// One tap with every 1.1.0 field, two IPv4 addresses (0.1/0.2 keep only the first), one
// IPv6 address, a route with every extra and one without.
const FULL: Result = {
  interfaces: [{
    name: "tap0",
    mac: "c2:00:00:00:00:01",
    mtu: 1400,
    sandbox: "/run/netns/t1",
    socketPath: "/run/vhost/sock0",
    pciID: "0000:01:00.0",
  }],
  ips: [
    { address: "10.1.0.5/16", gateway: "10.1.0.1", interface: 0 },
    { address: "10.2.0.5/16", interface: 0 },
    { address: "fd00::5/64", gateway: "fd00::1", interface: 0 },
  ],
  routes: [
    {
      dst: "0.0.0.0/0",
      gw: "10.1.0.1",
      mtu: 1400,
      advmss: 1360,
      priority: 100,
      table: 100,
      scope: 0,
    },
    { dst: "::/0" },
  ],
  dns: {
    nameservers: ["10.1.0.1"],
    domain: "example.local",
    search: ["example.local"],
    options: ["ndots:2"],
  },
};

const LAYER2: Result = {
  interfaces: [{ name: "tap0", mac: "76:66:1f:d7:69:bf", sandbox: "/var/run/netns/cniprobe" }],
  ips: [],
  routes: [],
};

describe("formatResult() prints each version's exact text", () => {
  test("formatResult() prints a layer-2 1.0.0 result byte for byte like the Go plugin", () => {
    // The Go tap plugin's stdout from its smoke run (reference-tap.md §4).
    assert.equal(
      formatResult(LAYER2, "1.0.0"),
      `{
    "cniVersion": "1.0.0",
    "interfaces": [
        {
            "mac": "76:66:1f:d7:69:bf",
            "name": "tap0",
            "sandbox": "/var/run/netns/cniprobe"
        }
    ]
}`,
    );
  });

  test("formatResult() prints a layer-2 0.4.0 result in struct order with an empty dns", () => {
    assert.equal(
      formatResult(LAYER2, "0.4.0"),
      `{
    "cniVersion": "0.4.0",
    "interfaces": [
        {
            "name": "tap0",
            "mac": "76:66:1f:d7:69:bf",
            "sandbox": "/var/run/netns/cniprobe"
        }
    ],
    "dns": {}
}`,
    );
  });

  test("formatResult() prints a full 1.1.0 result with keys sorted at every level", () => {
    assert.equal(
      formatResult(FULL, "1.1.0"),
      `{
    "cniVersion": "1.1.0",
    "dns": {
        "domain": "example.local",
        "nameservers": [
            "10.1.0.1"
        ],
        "options": [
            "ndots:2"
        ],
        "search": [
            "example.local"
        ]
    },
    "interfaces": [
        {
            "mac": "c2:00:00:00:00:01",
            "mtu": 1400,
            "name": "tap0",
            "pciID": "0000:01:00.0",
            "sandbox": "/run/netns/t1",
            "socketPath": "/run/vhost/sock0"
        }
    ],
    "ips": [
        {
            "address": "10.1.0.5/16",
            "gateway": "10.1.0.1",
            "interface": 0
        },
        {
            "address": "10.2.0.5/16",
            "interface": 0
        },
        {
            "address": "fd00::5/64",
            "gateway": "fd00::1",
            "interface": 0
        }
    ],
    "routes": [
        {
            "advmss": 1360,
            "dst": "0.0.0.0/0",
            "gw": "10.1.0.1",
            "mtu": 1400,
            "priority": 100,
            "scope": 0,
            "table": 100
        },
        {
            "dst": "::/0"
        }
    ]
}`,
    );
  });

  test("formatResult() prints a full 0.3.1 result with versions, route extras and no interface extras", () => {
    assert.equal(
      formatResult(FULL, "0.3.1"),
      `{
    "cniVersion": "0.3.1",
    "interfaces": [
        {
            "name": "tap0",
            "mac": "c2:00:00:00:00:01",
            "sandbox": "/run/netns/t1"
        }
    ],
    "ips": [
        {
            "version": "4",
            "interface": 0,
            "address": "10.1.0.5/16",
            "gateway": "10.1.0.1"
        },
        {
            "version": "4",
            "interface": 0,
            "address": "10.2.0.5/16"
        },
        {
            "version": "6",
            "interface": 0,
            "address": "fd00::5/64",
            "gateway": "fd00::1"
        }
    ],
    "routes": [
        {
            "dst": "0.0.0.0/0",
            "gw": "10.1.0.1",
            "mtu": 1400,
            "advmss": 1360,
            "priority": 100,
            "table": 100,
            "scope": 0
        },
        {
            "dst": "::/0"
        }
    ],
    "dns": {
        "nameservers": [
            "10.1.0.1"
        ],
        "domain": "example.local",
        "search": [
            "example.local"
        ],
        "options": [
            "ndots:2"
        ]
    }
}`,
    );
  });

  test("formatResult() prints a 0.2.0 result as ip4/ip6 with the first address of each", () => {
    const { dns: _dns, ...withoutDns } = FULL;
    assert.equal(
      formatResult(withoutDns, "0.2.0"),
      `{
    "cniVersion": "0.2.0",
    "ip4": {
        "ip": "10.1.0.5/16",
        "gateway": "10.1.0.1",
        "routes": [
            {
                "dst": "0.0.0.0/0",
                "gw": "10.1.0.1"
            }
        ]
    },
    "ip6": {
        "ip": "fd00::5/64",
        "gateway": "fd00::1",
        "routes": [
            {
                "dst": "::/0"
            }
        ]
    },
    "dns": {}
}`,
    );
  });
});

// What FULL looks like in each format, after passing through a format of `from`. Key order
// is the order written here, so JSON.stringify of these objects is the exact expected text.
const SORTED_DNS = {
  domain: "example.local",
  nameservers: ["10.1.0.1"],
  options: ["ndots:2"],
  search: ["example.local"],
};
const STRUCT_DNS = {
  nameservers: ["10.1.0.1"],
  domain: "example.local",
  search: ["example.local"],
  options: ["ndots:2"],
};
const ROUTE_EXTRAS = { mtu: 1400, advmss: 1360, priority: 100, table: 100, scope: 0 };
const SORTED_FULL_ROUTES = [
  {
    advmss: 1360,
    dst: "0.0.0.0/0",
    gw: "10.1.0.1",
    mtu: 1400,
    priority: 100,
    scope: 0,
    table: 100,
  },
  { dst: "::/0" },
];
const SORTED_IPS = [
  { address: "10.1.0.5/16", gateway: "10.1.0.1", interface: 0 },
  { address: "10.2.0.5/16", interface: 0 },
  { address: "fd00::5/64", gateway: "fd00::1", interface: 0 },
];
const V02_ROUTES = [{ dst: "0.0.0.0/0", gw: "10.1.0.1" }, { dst: "::/0" }];

function expectedText(from: string, to: string): string {
  const [fromFamily, toFamily] = [versionFamily(from), versionFamily(to)];
  if (toFamily === "0.1") {
    return pretty({
      cniVersion: to,
      ip4: { ip: "10.1.0.5/16", gateway: "10.1.0.1", routes: [V02_ROUTES[0]] },
      ip6: { ip: "fd00::5/64", gateway: "fd00::1", routes: [V02_ROUTES[1]] },
      dns: STRUCT_DNS,
    });
  }
  if (fromFamily === "0.1") {
    const ips = [
      { version: "4", address: "10.1.0.5/16", gateway: "10.1.0.1" },
      { version: "6", address: "fd00::5/64", gateway: "fd00::1" },
    ];
    return pretty(
      toFamily === "0.3" ? { cniVersion: to, ips, routes: V02_ROUTES, dns: STRUCT_DNS } : {
        cniVersion: to,
        dns: SORTED_DNS,
        ips: ips.map(({ version: _, ...ip }) => ip),
        routes: V02_ROUTES,
      },
    );
  }
  if (toFamily === "0.3") {
    return pretty({
      cniVersion: to,
      interfaces: [{ name: "tap0", mac: "c2:00:00:00:00:01", sandbox: "/run/netns/t1" }],
      ips: [
        { version: "4", interface: 0, address: "10.1.0.5/16", gateway: "10.1.0.1" },
        { version: "4", interface: 0, address: "10.2.0.5/16" },
        { version: "6", interface: 0, address: "fd00::5/64", gateway: "fd00::1" },
      ],
      routes: [{ dst: "0.0.0.0/0", gw: "10.1.0.1", ...ROUTE_EXTRAS }, { dst: "::/0" }],
      dns: STRUCT_DNS,
    });
  }
  const iface = fromFamily === "1"
    ? {
      mac: "c2:00:00:00:00:01",
      mtu: 1400,
      name: "tap0",
      pciID: "0000:01:00.0",
      sandbox: "/run/netns/t1",
      socketPath: "/run/vhost/sock0",
    }
    : { mac: "c2:00:00:00:00:01", name: "tap0", sandbox: "/run/netns/t1" };
  return pretty({
    cniVersion: to,
    dns: SORTED_DNS,
    interfaces: [iface],
    ips: SORTED_IPS,
    routes: SORTED_FULL_ROUTES,
  });
}

describe("conversion between versions", () => {
  for (const from of SUPPORTED_VERSIONS) {
    for (const to of SUPPORTED_VERSIONS) {
      test(`a result printed as ${from}, read back and printed as ${to} converts like libcni`, () => {
        const read = parseResult(parseJson(formatResult(FULL, from)), from);
        assert.equal(formatResult(read, to), expectedText(from, to));
      });
    }
  }

  test("formatResult() output reads back to the same text in every version", () => {
    for (const version of SUPPORTED_VERSIONS) {
      const text = formatResult(FULL, version);
      assert.equal(formatResult(parseResult(parseJson(text), version), version), text, version);
    }
  });
});

describe("formatResult() details", () => {
  test("formatResult() omits what Go omits: zero mtu/advmss/priority, empty strings", () => {
    const result: Result = {
      interfaces: [{ name: "", mac: "", mtu: 0, sandbox: "", socketPath: "", pciID: "" }],
      ips: [{ address: "10.1.0.5/16", gateway: "" }],
      routes: [{ dst: "10.0.0.0/8", gw: "", mtu: 0, advmss: 0, priority: 0, table: 0, scope: 0 }],
      dns: { nameservers: [], domain: "", search: [], options: [] },
    };
    assert.equal(
      formatResult(result, "1.1.0"),
      pretty({
        cniVersion: "1.1.0",
        interfaces: [{ name: "" }],
        ips: [{ address: "10.1.0.5/16" }],
        routes: [{ dst: "10.0.0.0/8", scope: 0, table: 0 }],
      }),
    );
  });

  test("formatResult() prints dns only when non-empty in 1.x, and always in 0.x", () => {
    const ipOnly: Result = { interfaces: [], ips: [{ address: "10.1.0.5/16" }], routes: [] };
    assert.equal(JSON.parse(formatResult(ipOnly, "1.1.0")).dns, undefined);
    assert.deepEqual(JSON.parse(formatResult(ipOnly, "0.4.0")).dns, {});
    assert.deepEqual(JSON.parse(formatResult(ipOnly, "0.1.0")).dns, {});
    const withDomain = { ...ipOnly, dns: { domain: "d" } };
    assert.deepEqual(JSON.parse(formatResult(withDomain, "1.0.0")).dns, { domain: "d" });
  });

  test("formatResult() omits empty interfaces, ips and routes", () => {
    assert.equal(
      formatResult({ interfaces: [], ips: [], routes: [] }, "1.1.0"),
      '{\n    "cniVersion": "1.1.0"\n}',
    );
    assert.equal(
      formatResult({ interfaces: [], ips: [], routes: [] }, "0.3.0"),
      '{\n    "cniVersion": "0.3.0",\n    "dns": {}\n}',
    );
  });

  test("formatResult() for 0.1/0.2 drops routes of a family without an address", () => {
    const v4Only: Result = {
      interfaces: LAYER2.interfaces,
      ips: [{ address: "10.1.0.5/16", interface: 0 }],
      routes: [{ dst: "fd00::/8", gw: "fd00::1" }, { dst: "10.0.0.0/8", mtu: 1400, table: 5 }],
    };
    assert.deepEqual(JSON.parse(formatResult(v4Only, "0.1.0")), {
      cniVersion: "0.1.0",
      ip4: { ip: "10.1.0.5/16", routes: [{ dst: "10.0.0.0/8" }] },
      dns: {},
    });
  });

  test("formatResult() for 0.1/0.2 cannot express a result without an IP address", () => {
    for (const version of ["0.1.0", "0.2.0"]) {
      assertCniError(() => formatResult(LAYER2, version), {
        code: 999,
        msg: "cannot convert: no valid IP addresses",
      });
    }
  });

  test("formatResult() rejects an unsupported version", () => {
    assertCniError(() => formatResult(LAYER2, "9.9.9"), {
      code: 1,
      msg: "no converter for CNI result version 1.1.0 to 9.9.9",
    });
  });

  test("canExpressResult() is false only without an IP at 0.1.0 and 0.2.0", () => {
    assert.deepEqual(
      SUPPORTED_VERSIONS.map((version) => canExpressResult(false, version)),
      [false, false, true, true, true, true, true],
    );
    assert.equal(SUPPORTED_VERSIONS.every((version) => canExpressResult(true, version)), true);
    assertCniError(() => canExpressResult(false, "2.0.0"), {
      code: 1,
      msg: 'Cannot use CNI version "2.0.0"',
      details: SUPPORTED_DETAILS,
    });
  });
});

describe("parseResult()", () => {
  test("parseResult() reads an abbreviated IPAM result without interfaces or index", () => {
    const ipam = parseJson(
      '{"cniVersion":"1.0.0","ips":[{"address":"10.1.0.5/24","gateway":"10.1.0.1"}],' +
        '"routes":[{"dst":"0.0.0.0/0"}],"dns":{}}',
    );
    assert.deepEqual(parseResult(ipam, "1.1.0"), {
      interfaces: [],
      ips: [{ address: "10.1.0.5/24", gateway: "10.1.0.1" }],
      routes: [{ dst: "0.0.0.0/0" }],
    });
  });

  test("parseResult() reads a 0.2.0 result into ips and concatenated routes", () => {
    const raw = {
      cniVersion: "0.2.0",
      ip4: {
        ip: "10.1.0.5/16",
        gateway: "10.1.0.1",
        routes: [{ dst: "0.0.0.0/0", gw: "10.1.0.1" }],
      },
      ip6: { ip: "fd00::5/64", routes: [{ dst: "::/0" }] },
      dns: { nameservers: ["10.1.0.1"] },
    };
    assert.deepEqual(parseResult(raw, "1.1.0"), {
      interfaces: [],
      ips: [{ address: "10.1.0.5/16", gateway: "10.1.0.1" }, { address: "fd00::5/64" }],
      routes: [{ dst: "0.0.0.0/0", gw: "10.1.0.1" }, { dst: "::/0" }],
      dns: { nameservers: ["10.1.0.1"] },
    });
  });

  test("parseResult() uses the given version when the result has none", () => {
    const raw = { ip4: { ip: "10.1.0.5/16" }, ips: [{ address: "10.9.0.5/16" }] };
    assert.deepEqual(parseResult(raw, "0.2.0").ips, [{ address: "10.1.0.5/16" }]);
    assert.deepEqual(parseResult(raw, "1.0.0").ips, [{ address: "10.9.0.5/16" }]);
    assert.deepEqual(parseResult({ ...raw, cniVersion: "" }, "").ips, [{ address: "10.1.0.5/16" }]);
  });

  test("parseResult() reads keys case-insensitively and null as absent", () => {
    const raw = parseJson(
      '{"CNIVersion":"1.1.0","Interfaces":[{"Name":"tap0","MAC":null}],' +
        '"IPs":[{"Address":"10.1.0.5/16","Interface":0,"gateway":null}],"routes":null,"dns":null}',
    );
    assert.deepEqual(parseResult(raw, "1.1.0"), {
      interfaces: [{ name: "tap0" }],
      ips: [{ address: "10.1.0.5/16", interface: 0 }],
      routes: [],
    });
  });

  test("parseResult() reads only the fields of the result's own version", () => {
    const raw = {
      cniVersion: "0.4.0",
      interfaces: [{ name: "tap0", mtu: 1400, pciID: "x" }],
      ips: [{ version: "4", address: "10.1.0.5/16", interface: 0 }],
    };
    assert.deepEqual(parseResult(raw, "0.4.0"), {
      interfaces: [{ name: "tap0" }],
      ips: [{ address: "10.1.0.5/16", interface: 0 }],
      routes: [],
    });
  });

  test("parseResult() rejects results of the wrong shape with code 6", () => {
    const cases: Array<[unknown, string]> = [
      [[], "result must be an object, got an array"],
      [{ cniVersion: "1.0.0", ips: {} }, '"ips" must be an array, got an object'],
      [
        { cniVersion: "1.0.0", ips: [{ address: "10.1.0.5" }] },
        '"ips[0].address" must be a CIDR address, got "10.1.0.5"',
      ],
      [{ cniVersion: "1.0.0", ips: [{}] }, '"ips[0].address" is required'],
      [
        { cniVersion: "1.0.0", ips: [{ address: "10.1.0.5/16", gateway: "10.1.0.1/16" }] },
        '"ips[0].gateway" must be an IP address, got "10.1.0.1/16"',
      ],
      [
        { cniVersion: "1.0.0", ips: [{ address: "10.1.0.5/16", interface: -1 }] },
        '"ips[0].interface" must be an interface index, got -1',
      ],
      [{ cniVersion: "1.0.0", routes: [{ gw: "10.1.0.1" }] }, '"routes[0].dst" is required'],
      [{ cniVersion: "1.0.0", interfaces: [null] }, '"interfaces[0]" must be an object, got null'],
      [
        { cniVersion: "1.0.0", interfaces: [{ name: 0 }] },
        '"interfaces[0].name" must be a string, got 0',
      ],
      [{ cniVersion: "0.2.0", ip4: { ip: "x" } }, '"ip4.ip" must be a CIDR address, got "x"'],
      [
        { cniVersion: "0.4.0", ips: [{ version: 4, address: "10.1.0.5/16" }] },
        '"ips[0].version" must be a string, got 4',
      ],
    ];
    for (const [raw, details] of cases) {
      assertCniError(() => parseResult(raw, "1.1.0"), {
        code: 6,
        msg: "Cannot decode CNI result",
        details,
      });
    }
    assertCniError(
      () => parseResult(parseJson('{"ips":[{"address":"10.1.0.5/16","interface":0.0}]}'), "1.1.0"),
      {
        code: 6,
        msg: "Cannot decode CNI result",
        details: '"ips[0].interface" must be an interface index, got 0.0',
      },
    );
  });

  test("parseResult() rejects an unknown result version with code 1", () => {
    assertCniError(() => parseResult({ cniVersion: "9.9.9" }, "1.1.0"), {
      code: 1,
      msg: 'unsupported CNI result version "9.9.9"',
    });
    assertCniError(() => parseResult({}, "1.1"), {
      code: 1,
      msg: 'unsupported CNI result version "1.1"',
    });
  });
});

describe("parsePrevResult()", () => {
  const prev = (cniVersion?: string) => ({
    ...(cniVersion === undefined ? {} : { cniVersion }),
    interfaces: [{ name: "tap0", sandbox: "/run/netns/t1" }],
    ips: [{ version: "4", address: "10.1.0.5/16", interface: 0 }],
  });
  const expected: Result = {
    interfaces: [{ name: "tap0", sandbox: "/run/netns/t1" }],
    ips: [{ address: "10.1.0.5/16", interface: 0 }],
    routes: [],
  };

  test("parsePrevResult() accepts a prevResult of the config version's family", () => {
    const pairs: Array<[string, string]> = [
      ["1.1.0", "1.0.0"],
      ["1.0.0", "1.1.0"],
      ["0.4.0", "0.3.1"],
      ["0.3.0", "0.4.0"],
    ];
    for (const [conf, prevVersion] of pairs) {
      assert.deepEqual(
        parsePrevResult(prev(prevVersion), conf),
        expected,
        `${conf} ${prevVersion}`,
      );
    }
    const v02 = { cniVersion: "0.1.0", ip4: { ip: "10.1.0.5/16" } };
    assert.deepEqual(parsePrevResult(v02, "0.2.0").ips, [{ address: "10.1.0.5/16" }]);
  });

  test("parsePrevResult() assumes the config's version when prevResult has none", () => {
    assert.deepEqual(parsePrevResult(prev(), "1.1.0"), expected);
    assert.deepEqual(parsePrevResult(prev(""), "0.4.0"), expected);
  });

  test("parsePrevResult() rejects a prevResult of another family like Go", () => {
    const cases: Array<[string, string, string]> = [
      ["1.0.0", "0.4.0", '[1.0.0 1.1.0] but unmarshalled CNIVersion is "0.4.0"'],
      ["1.1.0", "9.9.9", '[1.0.0 1.1.0] but unmarshalled CNIVersion is "9.9.9"'],
      ["0.4.0", "1.0.0", '[0.3.0 0.3.1 0.4.0] but unmarshalled CNIVersion is "1.0.0"'],
      ["0.2.0", "0.3.0", '[0.1.0 0.2.0] but unmarshalled CNIVersion is "0.3.0"'],
    ];
    for (const [conf, prevVersion, rest] of cases) {
      assertCniError(() => parsePrevResult(prev(prevVersion), conf), {
        code: 6,
        msg: "could not parse prevResult",
        details: `result type supports ${rest}`,
      });
    }
  });

  test("parsePrevResult() reports shape errors as prevResult errors", () => {
    assertCniError(() => parsePrevResult([], "1.0.0"), {
      code: 6,
      msg: "could not parse prevResult",
      details: "prevResult must be an object, got an array",
    });
    assertCniError(() => parsePrevResult({ ips: [{ address: "bad" }] }, "1.0.0"), {
      code: 6,
      msg: "could not parse prevResult",
      details: '"ips[0].address" must be a CIDR address, got "bad"',
    });
  });

  test("parsePrevResult() rejects an unsupported config version", () => {
    assertCniError(() => parsePrevResult(prev(), "9.9.9"), {
      code: 1,
      msg: 'Cannot use CNI version "9.9.9"',
      details: SUPPORTED_DETAILS,
    });
  });
});
