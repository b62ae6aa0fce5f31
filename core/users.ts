/**
 * User and group resolution from /etc/passwd and /etc/group, parsed here.
 *
 * Numbers win over names, as in iproute2: `--owner 1000` is uid 1000 even if a user is called
 * "1000". Only the files are read, so NSS sources (LDAP, sssd) are not consulted.
 *
 * @module
 */
import { readFileSync } from "node:fs";

/** One entry of /etc/passwd or /etc/group: its name and its numeric id. */
export interface IdEntry {
  name: string;
  id: number;
}

/**
 * Parses passwd(5) or group(5) text; the id is the third field in both. Comments, blank lines and
 * NIS `+`/`-` lines are skipped.
 *
 * @example Usage
 * ```ts
 * import { parseIdFile } from "./users.ts";
 * parseIdFile("root:x:0:0:root:/root:/bin/bash\n"); // [{ name: "root", id: 0 }]
 * ```
 */
export function parseIdFile(text: string): IdEntry[] {
  const out: IdEntry[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#") || line.startsWith("+") || line.startsWith("-")) {
      continue;
    }
    const [name, , id] = line.split(":");
    if (name && id !== undefined && /^\d+$/.test(id)) out.push({ name, id: Number(id) });
  }
  return out;
}

/** The largest uid/gid a tap can be given; 4294967295 is the kernel's "unset". */
export const MAX_ID = 4294967294;

/**
 * Resolves a user or group given by number or by name.
 *
 * @param spec A decimal id, or a name.
 * @param kind Which file to read: "user" (/etc/passwd) or "group" (/etc/group).
 * @param read Reads a file; replaceable in tests.
 * @returns The id, or a reason why it cannot be resolved.
 *
 * @example Usage
 * ```ts
 * import { resolveId } from "./users.ts";
 * resolveId("1000", "user"); // 1000
 * resolveId("root", "group"); // 0
 * ```
 */
export function resolveId(
  spec: string,
  kind: "user" | "group",
  read: (path: string) => string = (p) => readFileSync(p, "utf8"),
): number | string {
  if (/^\d+$/.test(spec)) {
    const id = Number(spec);
    return id <= MAX_ID ? id : `${kind} id ${spec} is out of range (0 to ${MAX_ID})`;
  }
  const file = kind === "user" ? "/etc/passwd" : "/etc/group";
  let text: string;
  try {
    text = read(file);
  } catch (err) {
    return `cannot read ${file}: ${(err as Error).message}`;
  }
  const hit = parseIdFile(text).find((e) => e.name === spec);
  return hit?.id ?? `no such ${kind} in ${file}`;
}
