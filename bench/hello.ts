// The start-up floor of a compiled Bun program, for bench/run.ts. It writes as the plugin does,
// with writeSync: process.stdout alone costs Bun about 14 ms.
import { writeSync } from "node:fs";
writeSync(1, "hello\n");
