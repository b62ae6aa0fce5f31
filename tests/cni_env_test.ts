import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CNI_NAME_PATTERN, readCniEnv } from "../cni/env.ts";
import { assertCniError } from "./cni_test_helpers.ts";

const ADD = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "ctr1",
  CNI_NETNS: "/run/netns/t1",
  CNI_IFNAME: "tap0",
  CNI_ARGS: "IgnoreUnknown=1",
  CNI_PATH: "/opt/cni/bin",
};

function read(vars: Record<string, string>) {
  return readCniEnv((name) => vars[name]);
}

function assertEnvError(vars: Record<string, string>, msg: string, details?: string): void {
  assertCniError(
    () => read(vars),
    details === undefined ? { code: 4, msg } : { code: 4, msg, details },
  );
}

describe("readCniEnv() reads the variables", () => {
  test("readCniEnv() returns every variable of an ADD", () => {
    assert.deepEqual(read({ ...ADD, CNI_PATH: "::/opt/cni/bin::/usr/lib/cni:" }), {
      command: "ADD",
      containerId: "ctr1",
      netns: "/run/netns/t1",
      ifname: "tap0",
      args: "IgnoreUnknown=1",
      path: ["/opt/cni/bin", "/usr/lib/cni"],
      netnsOverride: false,
    });
  });

  test("readCniEnv() reads unset variables as empty strings", () => {
    assert.deepEqual(read({ CNI_COMMAND: "VERSION" }), {
      command: "VERSION",
      containerId: "",
      netns: "",
      ifname: "",
      args: "",
      path: [],
      netnsOverride: false,
    });
  });

  test("readCniEnv() does not require CNI_PATH", () => {
    const { CNI_PATH: _path, ...rest } = ADD;
    assert.deepEqual(read(rest).path, []);
    assert.deepEqual(read({ CNI_COMMAND: "STATUS" }).path, []);
  });

  test("readCniEnv() sets netnsOverride for 1 and any case of true", () => {
    for (const value of ["1", "true", "TRUE", "True"]) {
      assert.equal(read({ ...ADD, CNI_NETNS_OVERRIDE: value }).netnsOverride, true, value);
    }
    for (const value of ["0", "yes", "", "false"]) {
      assert.equal(read({ ...ADD, CNI_NETNS_OVERRIDE: value }).netnsOverride, false, value);
    }
  });
});

describe("readCniEnv() reports missing variables", () => {
  test("readCniEnv() names the missing ADD variables together, in skel's order", () => {
    const { CNI_NETNS: _netns, CNI_IFNAME: _ifname, ...rest } = ADD;
    assertEnvError(rest, "required env variables [CNI_NETNS,CNI_IFNAME] missing");
    assertEnvError(
      { CNI_COMMAND: "ADD" },
      "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME] missing",
    );
  });

  test("readCniEnv() counts an empty value as unset", () => {
    assertEnvError(
      { ...ADD, CNI_NETNS: "", CNI_CONTAINERID: "" },
      "required env variables [CNI_CONTAINERID,CNI_NETNS] missing",
    );
  });

  test("readCniEnv() requires CNI_COMMAND", () => {
    assertEnvError({}, "required env variables [CNI_COMMAND] missing");
    assertEnvError({ ...ADD, CNI_COMMAND: "" }, "required env variables [CNI_COMMAND] missing");
  });

  test("readCniEnv() does not require CNI_NETNS for DEL, but does for CHECK", () => {
    assert.equal(read({ ...ADD, CNI_COMMAND: "DEL", CNI_NETNS: "" }).netns, "");
    assertEnvError(
      { ...ADD, CNI_COMMAND: "CHECK", CNI_NETNS: "" },
      "required env variables [CNI_NETNS] missing",
    );
    assertEnvError(
      { CNI_COMMAND: "DEL", CNI_IFNAME: "tap0" },
      "required env variables [CNI_CONTAINERID] missing",
    );
  });

  test("readCniEnv() requires nothing but the command for VERSION, STATUS and GC", () => {
    for (const command of ["VERSION", "STATUS", "GC"]) {
      assert.equal(read({ CNI_COMMAND: command }).command, command);
    }
  });

  test("readCniEnv() rejects an unknown command after the other checks", () => {
    assertEnvError({ CNI_COMMAND: "FOO" }, "unknown CNI_COMMAND: FOO");
    assertEnvError({ ...ADD, CNI_COMMAND: "add" }, "unknown CNI_COMMAND: add");
  });
});

describe("readCniEnv() validates identifiers", () => {
  test("readCniEnv() rejects a bad container id at once, before missing variables", () => {
    assertEnvError(
      { CNI_COMMAND: "ADD", CNI_CONTAINERID: "-x" },
      "invalid characters in containerID",
      "-x",
    );
    for (const id of ["_x", ".x", "a b", "ä1", "a/b"]) {
      assertEnvError({ ...ADD, CNI_CONTAINERID: id }, "invalid characters in containerID", id);
    }
    assert.equal(read({ ...ADD, CNI_CONTAINERID: "Ctr_1.a-b" }).containerId, "Ctr_1.a-b");
  });

  test("readCniEnv() reports the container id before the interface name", () => {
    assertEnvError(
      { ...ADD, CNI_CONTAINERID: "-x", CNI_IFNAME: ".." },
      "invalid characters in containerID",
      "-x",
    );
  });

  test("readCniEnv() accepts a 15-byte interface name and rejects 16 bytes", () => {
    assert.equal(read({ ...ADD, CNI_IFNAME: "123456789012345" }).ifname, "123456789012345");
    assertEnvError(
      { ...ADD, CNI_IFNAME: "1234567890123456" },
      "interface name is too long",
      "interface name should be less than 16 characters",
    );
  });

  test("readCniEnv() counts interface name length in UTF-8 bytes", () => {
    assert.equal(read({ ...ADD, CNI_IFNAME: "ééééééé1" }).ifname, "ééééééé1");
    for (const name of ["éééééééé", "😀😀😀😀"]) {
      assertEnvError(
        { ...ADD, CNI_IFNAME: name },
        "interface name is too long",
        "interface name should be less than 16 characters",
      );
    }
  });

  test("readCniEnv() rejects . and .. as interface names", () => {
    assertEnvError({ ...ADD, CNI_IFNAME: "." }, "interface name is . or ..");
    assertEnvError({ ...ADD, CNI_IFNAME: ".." }, "interface name is . or ..");
  });

  test("readCniEnv() rejects /, : and Unicode whitespace in interface names", () => {
    for (
      const name of [
        "a/b",
        "a:b",
        "a b",
        "a\tb",
        "a\nb",
        "a\u00a0b",
        "a\u0085b",
        "a\u2028b",
        "a\u3000",
      ]
    ) {
      assertEnvError(
        { ...ADD, CNI_IFNAME: name },
        "interface name contains / or : or whitespace characters",
      );
    }
  });

  test("readCniEnv() accepts other characters in interface names, as the kernel does", () => {
    for (const name of ["eth0.100", "a%d", "tap-ü", "a\u200bb"]) {
      assert.equal(read({ ...ADD, CNI_IFNAME: name }).ifname, name);
    }
  });

  test("readCniEnv() validates only the variables the command requires", () => {
    const odd = { CNI_CONTAINERID: "-x", CNI_IFNAME: "a/b", CNI_NETNS: "dummy" };
    assert.equal(read({ ...odd, CNI_COMMAND: "VERSION" }).ifname, "a/b");
    assert.equal(read({ ...odd, CNI_COMMAND: "GC" }).containerId, "-x");
  });

  test("CNI_NAME_PATTERN matches ASCII alphanumerics first, then also _ . -", () => {
    assert.equal(CNI_NAME_PATTERN.test("tap-net_1.0"), true);
    assert.equal(CNI_NAME_PATTERN.test("-bad"), false);
    assert.equal(CNI_NAME_PATTERN.test(""), false);
  });
});
