/**
 * `npm run reliability`: every reliability suite at full size; writes docs/RELIABILITY.md (or
 * --out FILE). Needs root, `npm run build` (dist/tap) and Debian's host-local. Exits 1 when
 * anything was lost.
 *
 *   bun tests/reliability/run.ts [--out FILE]
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import * as s from "./suites.ts";

const out = process.argv.includes("--out")
  ? process.argv[process.argv.indexOf("--out") + 1]!
  : fileURLToPath(new URL("../../docs/RELIABILITY.md", import.meta.url));

const runs: (() => s.SuiteResult | Promise<s.SuiteResult>)[] = [
  () => s.fuzzInProcess(10_000),
  () => s.fuzzEndToEnd(300),
  () => s.fuzzCli(500),
  () => s.sigkillDuringAdd(200),
  () => s.faults(),
  () => s.ownNetns(200),
  () => s.loadManyNetns(200, 3),
  () => s.loadOneNetns(20),
  () => s.sameIfname(20),
  () => s.childFds(),
];
const results: s.SuiteResult[] = [];
for (const r of runs) {
  const t0 = performance.now();
  const res = await r();
  results.push(res);
  process.stderr.write(
    `${res.suite}: ${res.cases} tried, ${res.lost} lost (${
      Math.round(performance.now() - t0)
    } ms)\n`,
  );
}
const md = `# Reliability

Made by \`npm run reliability\` (\`bun tests/reliability/run.ts\`) on ${
  new Date().toISOString().slice(0, 10)
},
which rewrites this file. The suites live in tests/reliability/suites.ts; CI runs a smaller version
of each (tests/reliability_root_test.ts). "Lost" counts every case that crashed, printed a stack
trace, exited with an undocumented status, answered with something other than a spec error, or
left a device, a lease or a thread in the wrong netns behind. The goal is 0 everywhere.

| suite | what was tried | cases | lost |
| --- | --- | --- | --- |
${results.map((r) => `| ${r.suite} | ${r.tried} | ${r.cases} | **${r.lost}** |`).join("\n")}
${
  results.some((r) => r.lost > 0)
    ? "\n## Losses\n\n" + results.filter((r) => r.lost > 0).map((r) =>
      `- ${r.suite}: ${r.examples.join("; ")}`
    ).join("\n") + "\n"
    : ""
}
## Faults found while building these suites

Each was fixed at its root and keeps a test:

- Under Deno, writing the config to an IPAM plugin that exits without reading stdin (VERSION)
  threw "Broken pipe" and failed GC; the plugin's own answer is now used
  (tests/cni_ipam_root_test.ts, "exits without reading its stdin").
- Under Node, a parent that hands over a non-blocking stdin pipe (Node's spawnSync does) made a
  large config fail with EAGAIN (code 5); stdin is now read until EOF, waiting on EAGAIN
  (tests/cni_root_test.ts, "a 1 MiB config").
- Fds the plugin itself inherited reached its IPAM child; every fd from 3 up is now marked
  close-on-exec before IPAM runs, as the Go plugin does (the "no fd leaks" suite).

Outside this project, and left alone: Bun's spawn sometimes hands a child a stray pipe from its
own stdio set-up (about 1 spawn in 20, in any Bun program); host-local writes a lease file in
two steps, so killing host-local itself between them leaves a lease no DEL can match (the
SIGKILL suite kills the plugin, as a runtime's timeout does, and host-local finishes).

Besides these suites, the integration tests check the security rules: the product's code runs no
shell and no iproute2 (tests/reliability_root_test.ts greps for them), CNI_NETNS must be a network
namespace other than the plugin's own (tests/cni_root_test.ts), DEL and \`tap delete\` never remove
a device that is not a tun/tap, and the CNI path runs under Deno with exactly the documented
permissions (tests/reliability_root_test.ts).
`;
writeFileSync(out, md);
process.stderr.write(`wrote ${out}\n`);
process.exitCode = results.some((r) => r.lost > 0) ? 1 : 0;
