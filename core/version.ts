/**
 * The version of this tool; `tests/version_test.ts` keeps it equal to package.json and deno.json.
 *
 * @module
 */

/** The version, as `tap --version` prints it. */
export const VERSION = "0.1.0";
