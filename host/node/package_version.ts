/** khugesim's own name and version, as package.json gives them, for --version and the --json reports. */
import { readFileSync } from "node:fs";

export interface ToolInfo {
  name: string;
  version: string;
}

let info: ToolInfo | undefined;

/** package.json's name and version; the file lies two folders up from host/node/ and from dist/node/ alike. */
export function toolInfo(): ToolInfo {
  if (info === undefined) {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as ToolInfo;
    info = { name: pkg.name, version: pkg.version };
  }
  return info;
}
