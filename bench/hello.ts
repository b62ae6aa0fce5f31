// The start-up floor of a compiled Bun program, for bench/run.ts.
import process from "node:process";
process.stdout.write("hello\n");
