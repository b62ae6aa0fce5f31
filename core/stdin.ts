/**
 * Reading all of stdin, synchronously: the CNI config, and the request of a labeled create's
 * child.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { readSync } from "node:fs";

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Reads stdin to its end. A parent may hand over a non-blocking pipe (Node's spawnSync does), so
 * EAGAIN waits a millisecond and reads again instead of failing.
 *
 * @returns The text, decoded as UTF-8.
 * @throws The read error, as node:fs reports it.
 *
 * @example Usage
 * ```ts
 * import { readAllStdin } from "./stdin.ts";
 * const conf = JSON.parse(readAllStdin());
 * ```
 */
export function readAllStdin(): string {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf);
    } catch (err) {
      if ((err as { code?: string }).code !== "EAGAIN") throw err;
      Atomics.wait(sleeper, 0, 0, 1);
      continue;
    }
    if (n === 0) break;
    chunks.push(buf.slice(0, n));
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}
