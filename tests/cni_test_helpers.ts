/**
 * Assertion helpers shared by the unit tests of the `cni/` modules.
 *
 * @module
 */
import assert from "node:assert/strict";
import { CniError, type CniErrorJson } from "../cni/errors.ts";

/**
 * Every CNI version the plugin supports, oldest first: libcni's list. Written out here, not read
 * from cni/version.ts, so that the tests check the product against the spec and not against
 * itself.
 */
export const VERSIONS: readonly string[] = Object.freeze([
  "0.1.0",
  "0.2.0",
  "0.3.0",
  "0.3.1",
  "0.4.0",
  "1.0.0",
  "1.1.0",
]);

/** The supported versions as Go's `%q` prints them in error details. */
export const QUOTED_VERSIONS: string = `[${VERSIONS.map((v) => `"${v}"`).join(" ")}]`;

/** The details of the code 1 error `Cannot use CNI version "X"`, as the reference prints them. */
export const SUPPORTED_DETAILS: string = `plugin supports ${QUOTED_VERSIONS}`;

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
