/**
 * The Deno leg of bench/scan_runtimes.ts: benchScan() from the library's TypeScript
 * sources, the core fetched from its file: URL; prints the report as one JSON line.
 *
 * Usage: deno run --allow-read=. --allow-env bench/deno_scan.ts SET
 */
import { benchScan, type ScanSetName } from "../host/mod.ts";

declare const Deno: { args: string[]; version: { deno: string }; stdout: { write(bytes: Uint8Array): Promise<number> } };

const report = await benchScan({ set: Deno.args[0] as ScanSetName, runtime: `Deno ${Deno.version.deno}` });
await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(report) + "\n"));
