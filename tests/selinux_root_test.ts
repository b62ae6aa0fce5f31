/**
 * `selinuxContext` on a real SELinux kernel: tests/selinux/vm.sh boots Debian's kernel in a
 * throw-away QEMU guest (permissive, with a policy module that logs granted tun_socket checks) and
 * runs tests/selinux/labeled-add.sh there. The kernel's avc lines are the only place a tun device's
 * label shows, so they are the witness: each runtime's create must run in the requested context,
 * never in the plugin's own, and iproute2 reopening the tap must find that label on it.
 *
 * Needs root and `bash tests/selinux/setup.sh` (.ci/run does it). The guest runs under software
 * emulation and makes five ADDs, node with tsx among them: 40 s on an idle machine, 90 s or more on
 * a busy one, so it runs in the Bun pass only.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import process from "node:process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { isRoot, run, runtime, withTempDir } from "./helpers.ts";
import { writeStderr } from "../core/stderr.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LABEL = "system_u:system_r:virtd_t:s0";
const skip = !isRoot
  ? "needs root"
  : runtime !== "bun"
  ? "runs in the Bun pass"
  : !existsSync("/var/tmp/tap-selinux-vm/kernel-version")
  ? "needs bash tests/selinux/setup.sh"
  : false;

test("selinuxContext creates the tap in that context under every runtime", {
  skip,
  timeout: 600_000,
}, async () => {
  await withTempDir("tap-selinux-", (dir) => {
    const avcLog = `${dir}/avc.log`;
    const r = run(`${ROOT}/tests/selinux/vm.sh`, [`${ROOT}/tests/selinux/labeled-add.sh`], {
      env: { ...process.env, LABEL, VM_AVC_LOG: avcLog, VM_TIMEOUT: "540" } as Record<
        string,
        string
      >,
      cwd: ROOT,
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const facts = Object.fromEntries(
      r.stdout.trim().split("\n").map((
        l,
      ) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const avc = readFileSync(avcLog, "utf8").split("\n").filter((l) =>
      l.includes("tclass=tun_socket")
    );
    const creates = avc.filter((l) => l.includes("{ create }"));
    assert.match(facts.self!, /kernel_t/, "the plugin itself runs in another context");
    // A runtime that died by a signal was retried once (labeled-add.sh); say so, and allow no more.
    const crashes = Object.entries(facts).filter(([k]) => k.endsWith(".crashed"));
    for (const [k, v] of crashes) writeStderr(`selinux guest: ${k} ${v} (retried)\n`);
    assert.ok(crashes.length <= 1, crashes.map((c) => c.join("=")).join("\n"));
    for (const tap of ["tap0", "tap1", "tap2", "tap3"]) {
      const why = `${tap}: ${facts[`${tap}.out`]} ${facts[`${tap}.stderr`]}`;
      assert.equal(facts[`${tap}.status`], "0", why);
      assert.equal(JSON.parse(facts[`${tap}.out`]!).interfaces[0].name, tap);
    }
    // dist/tap, bun, deno, node, dist/tap with IPAM: one create each (and perhaps one of a
    // retried run), all in the label's context.
    assert.ok(
      creates.length >= 5 && creates.length <= 5 + crashes.length,
      creates.join("\n"),
    );
    for (const line of creates) {
      assert.match(line, new RegExp(`scontext=${LABEL} tcontext=${LABEL} `));
    }
    // The tap carries the label: reopening it (ip, in kernel_t) relabels from LABEL.
    assert.equal(facts.witness, "ok");
    assert.ok(
      avc.some((l) => /\{ relabelfrom \}.*comm="ip"/.test(l) && l.includes(`tcontext=${LABEL} `)),
      avc.join("\n"),
    );
    // A context the kernel refuses fails the ADD with 999 and leaves nothing.
    assert.equal(facts["tap4.status"], "1", facts["tap4.stderr"]);
    const refused = JSON.parse(facts["tap4.out"]!);
    assert.equal(refused.code, 999);
    assert.match(refused.details, /the kernel refuses the SELinux context .*no_such_t.*\(EINVAL\)/);
    assert.equal(facts.links!.trim(), "lo tap0 tap1 tap2 tap3");
    // With IPAM: the address is on the labeled tap, and DEL releases the lease.
    assert.equal(facts["tap5.status"], "0", `${facts["tap5.out"]} ${facts["tap5.stderr"]}`);
    const withIpam = JSON.parse(facts["tap5.out"]!);
    assert.equal(withIpam.ips[0].address, facts["tap5.addr"]);
    assert.deepEqual([facts["tap5.del"], facts["tap5.leases"]], ["ok", "0"]);
  });
});
