/**
 * The README's "Command line" block stays the CLI's: every command `khugesim --help` lists
 * is in it, with every long option its own `--help` lists.
 */
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { runMain } from "./cli_in_process.ts";

const README = readFileSync(new URL("../README.md", import.meta.url), "utf8");

/** The first fenced block after "## Command line". */
function commandBlock(readme: string): string {
  const section = readme.slice(readme.indexOf("\n## Command line"));
  return /```\n([\s\S]*?)```/.exec(section)![1];
}

/** The usage lines of `command` in the block: its own lines and their indented continuations. */
function usageOf(block: string, command: string): string {
  const out: string[] = [];
  let inside = false;
  for (const line of block.split("\n")) {
    if (line.startsWith("khugesim ")) inside = line.startsWith(`khugesim ${command} `);
    if (inside) out.push(line);
  }
  return out.join("\n");
}

/** The commands a --help text lists (not `help`), and the long options it lists (not --help). */
const commandsIn = (help: string): string[] =>
  [...help.slice(help.indexOf("\nCommands:")).matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]).filter((c) => c !== "help");
const optionsIn = (help: string): string[] =>
  [...help.slice(help.indexOf("\nOptions:"), help.indexOf("\nCommands:") + 1 || undefined).matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)]
    .map((m) => m[1]).filter((o) => o !== "--help");

test("the README's Command line block names every command with every long option of its --help", async () => {
  const block = commandBlock(README);
  const commands: string[] = [];
  for (const c of commandsIn((await runMain("--help")).stdout)) {
    const sub = commandsIn((await runMain(c, "--help")).stdout);
    commands.push(...(sub.length > 0 ? sub.map((s) => `${c} ${s}`) : [c]));
  }
  expect(commands).toContain("bench scan");
  const missing: string[] = [];
  for (const c of commands) {
    const usage = usageOf(block, c);
    if (usage === "") {
      missing.push(`khugesim ${c}`);
      continue;
    }
    // compare takes run's options ("same options").
    const known = usage.includes("[same options") ? usageOf(block, "run") : usage;
    const options = optionsIn((await runMain(...c.split(" "), "--help")).stdout);
    if (c === "run") expect(options).toContain("--trace");
    for (const o of options) if (!new RegExp(`${o}\\b(?!-)`).test(known)) missing.push(`khugesim ${c} ${o}`);
  }
  expect(missing).toEqual([]);
});

test("usageOf() and optionsIn() read what they are given", () => {
  const block = "khugesim run <s> [--json]\n            [--csv FILE]\nkhugesim report <t> [--json]\n";
  expect(usageOf(block, "run")).toBe("khugesim run <s> [--json]\n            [--csv FILE]");
  expect(usageOf(block, "compare")).toBe("");
  expect(optionsIn("Usage: x\n\nOptions:\n  --out <file>  where\n  -h, --help  help\n")).toEqual(["--out"]);
});
