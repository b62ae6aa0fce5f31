/**
 * Assertion helpers shared by the unit tests of the `cni/` modules.
 *
 * @module
 */
import assert from "node:assert/strict";
import { CniError, type CniErrorJson } from "../cni/errors.ts";

/** The supported versions as Go's `%q` prints them in error details. */
export const QUOTED_VERSIONS = '["0.1.0" "0.2.0" "0.3.0" "0.3.1" "0.4.0" "1.0.0" "1.1.0"]';

/**
 * Asserts that `fn` throws a {@linkcode CniError} with exactly this code, msg and details.
 *
 * @param fn The code that should throw.
 * @param expected The expected wire form (`details` absent when there are none).
 */
export function assertCniError(fn: () => unknown, expected: CniErrorJson): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CniError, `expected a CniError, got ${String(err)}`);
    assert.deepEqual(err.toJSON(), expected);
    return true;
  });
}
