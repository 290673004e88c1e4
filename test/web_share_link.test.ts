/** The page's shareable link (web/src/share_link.ts): the fragment carries a run request whole. */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decodeRunLink, encodeRunLink } from "../web/src/share_link.ts";

const request = fc.record({
  text: fc.string({ unit: "binary", maxLength: 2000 }),
  source: fc.string(),
  variants: fc.array(fc.string(), { maxLength: 4 }),
  tunables: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
});

describe("encodeRunLink()", () => {
  test("decodeRunLink() gives back every request encodeRunLink() put in a URL fragment", async () => {
    await fc.assert(fc.asyncProperty(request, async (r) => {
      const fragment = await encodeRunLink(r);
      // Only URL-safe characters: the fragment survives a paste into any URL.
      expect(fragment).toMatch(/^run=[A-Za-z0-9_-]*$/);
      expect(await decodeRunLink(`#${fragment}`)).toEqual(r);
    }), { numRuns: 50 });
  });

  test("decodeRunLink() returns null for a fragment that carries no run", async () => {
    expect(await decodeRunLink("")).toBeNull();
    expect(await decodeRunLink("#results")).toBeNull();
  });

  test("decodeRunLink() refuses a cut-short link with a sentence saying so", async () => {
    const fragment = await encodeRunLink({ text: "name: x\n".repeat(50), source: "x.yaml", variants: ["baseline"], tunables: {} });
    await expect(decodeRunLink(fragment.slice(0, fragment.length / 2))).rejects.toThrow(
      "Cannot read the scenario from the link: it is damaged",
    );
  });

  test("decodeRunLink() refuses a link whose request lacks a field", async () => {
    const partial = await encodeRunLink({ text: "x", source: "x.yaml", variants: [], tunables: {} });
    const bad = await encodeRunLink({ text: "x", source: "x.yaml", variants: [1], tunables: {} } as never);
    expect(await decodeRunLink(partial)).toEqual({ text: "x", source: "x.yaml", variants: [], tunables: {} });
    await expect(decodeRunLink(bad)).rejects.toThrow("lacks the scenario text, variants or tunables");
  });
});
