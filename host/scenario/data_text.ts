/**
 * JSON or YAML text to data, for scenario files and other input files alike: a parse
 * error becomes one line with its line and column, and never quotes the file's text.
 */
import { parseDocument } from "yaml";

/** The data in `text`, or why it is malformed ("malformed YAML at line 3, column 1: …"). */
export function parseDataText(text: string, json: boolean): { data: unknown } | { malformed: string } {
  if (json) {
    try {
      return { data: JSON.parse(text) };
    } catch (err) {
      return { malformed: jsonReason((err as Error).message, text) };
    }
  }
  const doc = parseDocument(text);
  const err = doc.errors[0];
  if (!err) {
    try {
      return { data: doc.toJS() };
    } catch (e) {
      // yaml refuses aliases that would expand without bound (a "billion laughs" file).
      return { malformed: `YAML that cannot be expanded: ${(e as Error).message}` };
    }
  }
  const at = err.linePos ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : "";
  return { malformed: `malformed YAML${at}: ${err.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}` };
}

/** V8's JSON message with its position as a line and column, and without the text it may quote. */
function jsonReason(message: string, text: string): string {
  const what = message.replace(/, ".*" is not valid JSON$/s, "").replace(/ in JSON at position \d+.*$/s, "");
  const pos = / in JSON at position (\d+)/.exec(message);
  if (!pos) return `malformed JSON: ${what}`;
  const before = text.slice(0, Number(pos[1])).split("\n");
  return `malformed JSON at line ${before.length}, column ${before.at(-1)!.length + 1}: ${what}`;
}
