/**
 * tap: create and manage Linux tun/tap devices through libc, from Deno or Bun.
 *
 * Every function is synchronous and needs root or CAP_NET_ADMIN (listing needs neither). Under
 * Deno, run with `--allow-ffi`.
 *
 * @example Create, inspect and delete a tap in netns "blue"
 * ```ts
 * import { createTap, deleteTap, listTaps } from "./mod.ts";
 * createTap({ name: "tap0", netns: "blue", multiQueue: true, owner: 1000, mtu: 1400, up: true });
 * console.log(listTaps({ netns: "blue" }));
 * deleteTap("tap0", { netns: "blue" });
 * ```
 *
 * @module
 */
export {
  checkCreateTap,
  createTap,
  type CreateTapOptions,
  deleteTap,
  getTap,
  inspectTap,
  type IpPrefixBytes,
  listTaps,
  type NetnsOption,
  type NetnsRef,
  openTap,
  type OpenTapOptions,
  type RouteOption,
  setTap,
  type SetTapOptions,
  type TapDetails,
  type TapInfo,
  TapQueues,
} from "./core/tap.ts";
export { TapError } from "./ffi/errors.ts";
export { type Netns, openNetns } from "./ffi/netns.ts";
