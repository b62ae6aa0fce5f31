/**
 * The floor of a compiled Bun CNI plugin, for bench/run.ts: the same device work as one CNI ADD
 * (`add NETNS`) or DEL (`del NETNS`) of tap0, through the core alone. No CNI layer: no env, no
 * stdin, no config validation, no result. What a compiled Bun program cannot go below.
 *
 * @module
 */
import process from "node:process";
import { createTap, deleteTap } from "../mod.ts";

const [command, netns] = process.argv.slice(2);
if (command === "add") {
  createTap({
    name: "tap0",
    netns: netns!,
    multiQueue: true,
    vnetHdr: true,
    mtu: 1400,
    mac: "02:00:00:00:00:01",
    up: true,
  });
} else {
  deleteTap("tap0", { netns: netns! });
}
process.exit(0);
