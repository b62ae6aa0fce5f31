/**
 * Installing a binary as a CNI plugin, atomically: a temp file in the target directory, fsync,
 * then rename, so a runtime exec'ing the plugin meanwhile sees the old file or the new one,
 * never half of one.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
} from "node:fs";
import process from "node:process";
import { TapError } from "../ffi/errors.ts";

/** Options of {@linkcode installPlugin}. */
export interface InstallOptions {
  /** The binary to install. */
  source: string;
  /** The CNI plugin directory, e.g. /opt/cni/bin. */
  dir: string;
  /** The plugin name; runtimes exec it as `"type": NAME`. Default "tap". */
  name?: string;
  /** Replace a file that is not a tap binary (for example the Go tap plugin). */
  force?: boolean;
}

/** What {@linkcode installPlugin} did. */
export interface InstallResult {
  /** The installed path. */
  path: string;
  /** What was there before: nothing, an older or equal tap, or another program. */
  replaced: "nothing" | "tap" | "other";
}

/** Whether the file at `path` is a tap binary: it answers `--version` with "tap X.Y.Z". */
function isTap(path: string): boolean {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("CNI_")) delete env[k];
  const r = spawnSync(path, ["--version"], { env, encoding: "utf8", timeout: 5000 });
  return r.status === 0 && /^tap \d+\.\d+\.\d+/.test(r.stdout ?? "");
}

function fail(action: string, err: unknown): TapError {
  const e = err as NodeJS.ErrnoException;
  const errno = typeof e.errno === "number" ? Math.abs(e.errno) : 5;
  return new TapError(action, e.message?.replace(/^[A-Z]+: /, "").replace(/, \w+ '.*'$/, ""), {
    errno,
    cause: err,
  });
}

/** fsync(2) of a file or a directory, by path. */
function syncToDisk(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Installs `source` as `dir/name`, atomically.
 *
 * @throws {TapError} EEXIST when another program is there and `force` is not set; the errno of
 *   a failed copy, fsync or rename (the temp file is removed).
 *
 * @example Usage
 * ```ts
 * import { installPlugin } from "./install.ts";
 * installPlugin({ source: "dist/tap", dir: "/opt/cni/bin" });
 * ```
 */
export function installPlugin(options: InstallOptions): InstallResult {
  const name = options.name ?? "tap";
  const path = `${options.dir}/${name}`;
  const action = `Cannot install "${path}"`;
  let replaced: InstallResult["replaced"] = "nothing";
  if (existsSync(path)) {
    replaced = isTap(path) ? "tap" : "other";
    if (replaced === "other" && !options.force) {
      throw new TapError(action, "a file of another program is there (use --force to replace it)", {
        errno: 17,
        invalidInput: true,
      });
    }
  }
  try {
    if (!statSync(options.dir).isDirectory()) {
      throw Object.assign(new Error("not a directory"), { errno: 20 });
    }
  } catch (err) {
    throw fail(action, err);
  }
  const tmp = `${options.dir}/.${name}.tmp-${process.pid}`;
  try {
    copyFileSync(options.source, tmp);
    chmodSync(tmp, 0o755);
    syncToDisk(tmp);
    renameSync(tmp, path);
    // The rename itself is durable once the directory is synced.
    syncToDisk(options.dir);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch { /* never made */ }
    throw fail(action, err);
  }
  return { path, replaced };
}
