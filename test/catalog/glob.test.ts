import { describe, expect, it } from "vitest";
import { escapeGlob, globMatches, topmostMatch } from "../../src/catalog/glob.js";

describe("glob", () => {
  it.each([
    ["/a/*/c", "/a/b/c", true],
    ["/a/*/c", "/a/b/x/c", false],
    ["/a/**/c", "/a/c", true],
    ["/a/**/c", "/a/b/x/c", true],
    ["/a/**", "/a/b/c", true],
    ["**/.locks", ".locks", true],
    ["**/.locks", "/root/x/.locks", true],
    ["**/*.incomplete", "blobs/ab.12345678.incomplete", true],
    ["*.lock", "x/y.lock", false],
    ["/a/?.txt", "/a/b.txt", true],
    ["/a/?.txt", "/a/bc.txt", false],
    ["/a/b.c", "/a/bxc", false],
    ["/a/(x)+", "/a/(x)+", true],
    [`${escapeGlob("/a/*")}/b`, "/a/*/b", true],
    [`${escapeGlob("/a/*")}/b`, "/a/z/b", false],
  ])("%s vs %s → %s", (glob, path, expected) => {
    expect(globMatches(glob, path)).toBe(expected);
  });

  it("topmostMatch returns the shallowest matching prefix", () => {
    expect(topmostMatch("**/.ssh", "/root/.ssh/keys/id")).toBe("/root/.ssh");
    expect(topmostMatch("/data/**", "/data/a/b")).toBe("/data/a");
    expect(topmostMatch("hub/.locks", "hub/.locks/m/x.lock")).toBe("hub/.locks");
    expect(topmostMatch("token", "tokenizer.json")).toBeUndefined();
  });
});
