/**
 * Writing to stderr, synchronously: logs must not be lost when the process exits or aborts right
 * after, and Bun spends about 14 ms setting up process.stderr, more than a whole CNI call.
 *
 * @module
 */
import { writeSync } from "node:fs";

/**
 * Writes `text` to stderr as it is (add the newline yourself).
 *
 * @example Usage
 * ```ts
 * import { writeStderr } from "./stderr.ts";
 * writeStderr("tap: a warning\n");
 * ```
 */
export function writeStderr(text: string): void {
  try {
    writeSync(2, text);
  } catch { /* stderr closed: nowhere left to say it */ }
}
