/**
 * A link that carries a run: the form's request (scenario text, variants, tunables) as
 * JSON, deflated and base64url-encoded into the URL's fragment (`#run=…`), so that it
 * never reaches a server and survives being pasted anywhere a URL goes.
 */
import type { RunRequest } from "./run_request.ts";

const KEY = "run";

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

function toBase64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  const s = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** The fragment (without `#`) that carries `r`. */
export async function encodeRunLink(r: RunRequest): Promise<string> {
  const json = JSON.stringify({ text: r.text, source: r.source, variants: r.variants, tunables: r.tunables });
  return `${KEY}=${toBase64url(await pipe(new TextEncoder().encode(json), new CompressionStream("deflate-raw")))}`;
}

/**
 * The request a fragment carries; null when it carries none. A damaged one is a
 * TypeError whose message says so.
 */
export async function decodeRunLink(fragment: string): Promise<RunRequest | null> {
  const value = new URLSearchParams(fragment.replace(/^#/, "")).get(KEY);
  if (value === null) return null;
  let r: Partial<RunRequest>;
  try {
    const bytes = await pipe(fromBase64url(value), new DecompressionStream("deflate-raw"));
    r = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new TypeError("Cannot read the scenario from the link: it is damaged (cut short or edited?)");
  }
  const strings = (x: unknown) => Array.isArray(x) && x.every((v) => typeof v === "string");
  const tunables = (x: unknown) => typeof x === "object" && x !== null &&
    Object.values(x).every((v) => typeof v === "string" || typeof v === "number");
  if (typeof r.text !== "string" || typeof r.source !== "string" || !strings(r.variants) || !tunables(r.tunables)) {
    throw new TypeError("Cannot read the scenario from the link: it lacks the scenario text, variants or tunables");
  }
  return { text: r.text, source: r.source, variants: r.variants!, tunables: r.tunables! };
}
