/**
 * Library batch for bench/run.ts: creates N taps in netns ARGV[2], then deletes them, in one
 * process, and prints the cost per device in µs as JSON.
 *
 * @module
 */
import process from "node:process";
import { createTap, deleteTap, openNetns } from "../mod.ts";

const [nsName, count] = process.argv.slice(2);
const n = Number(count);
// One opened namespace for the whole batch, as a program would hold it.
const ns = openNetns(nsName!);
try {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) createTap({ name: `b${i}`, netns: ns, mtu: 1400, up: true });
  const t1 = performance.now();
  for (let i = 0; i < n; i++) deleteTap(`b${i}`, { netns: ns });
  const t2 = performance.now();
  process.stdout.write(
    JSON.stringify({ createUs: ((t1 - t0) * 1000) / n, deleteUs: ((t2 - t1) * 1000) / n }),
  );
} finally {
  ns.close();
}
