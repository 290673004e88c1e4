// Starts a simulate-ahead worker: Node 20 does not load a .ts worker by itself, so
// register tsx's loader in this thread first, then import the TypeScript module.
import { register } from "tsx/esm/api";

register();
await import("./ahead_worker.ts");
