import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LinkVerdict, resolveLink, type TreeNode } from "../../src/image/link-resolve.js";
import { tempDir, walkedLayer } from "./helpers.js";

const tmp = tempDir("mlpack-links-");
afterAll(() => tmp.cleanup());

/** link → target, and the verdict realpath(3) on the real tree must agree with. */
const LINKS: Record<string, [string, LinkVerdict]> = {
  good: ["sub/file", "inside"],
  dirlink: ["sub", "inside"],
  via: ["dirlink/file", "inside"],
  self: [".", "inside"],
  // Lexically inside ("x"), really outside: `self` is the root, so `..` climbs out of it.
  smuggle: ["self/../x", "outside"],
  chain: ["sub/up2", "outside"],
  "sub/up2": ["../..", "outside"],
  "sub/inner/back": ["../../sub/file", "inside"],
  "sub/inner/dirslash": ["../inner/", "inside"],
  loop1: ["loop2", "unresolved"],
  loop2: ["loop1", "unresolved"],
  dangling: ["nothere", "unresolved"],
  filedir: ["sub/file/x", "unresolved"],
  fileslash: ["sub/file/", "unresolved"],
  viafile: ["good/", "unresolved"],
  abs: ["/etc/hostname", "outside"],
  "sub/tofifo": ["fifo-ish", "inside"],
};

let root: string;
let tree: Map<string, TreeNode>;

beforeAll(() => {
  root = join(tmp.dir, "root");
  mkdirSync(join(root, "sub", "inner"), { recursive: true });
  writeFileSync(join(root, "sub", "file"), "x");
  writeFileSync(join(root, "sub", "fifo-ish"), "x");
  writeFileSync(join(tmp.dir, "x"), "outside the tree, so realpath can land there");
  for (const [link, [target]] of Object.entries(LINKS)) symlinkSync(target, join(root, link));
  tree = new Map<string, TreeNode>([
    ["sub", { type: "dir" }],
    ["sub/inner", { type: "dir" }],
    ["sub/file", { type: "file" }],
    ["sub/fifo-ish", { type: "other" }],
    ...Object.entries(LINKS).map(([link, [target]]): [string, TreeNode] => [link, { type: "symlink", target }]),
  ]);
});

/** The oracle: what the old scan decided with one realpath per link. */
function byRealpath(link: string): LinkVerdict {
  const realRoot = realpathSync(root);
  try {
    const real = realpathSync.native(join(root, link));
    return real === realRoot || real.startsWith(`${realRoot}/`) ? "inside" : "outside";
  } catch {
    return "unresolved";
  }
}

describe("resolveLink", () => {
  it.each(Object.entries(LINKS))("%s -> %s", (link, [, verdict]) => {
    expect(resolveLink(tree, link)).toBe(verdict);
    expect(byRealpath(link)).toBe(verdict);
  });

  it("counts links like the kernel: 40 hops resolve, 41 do not", () => {
    const chain = (n: number) => {
      const t = new Map<string, TreeNode>([["end", { type: "file" }]]);
      for (let i = 0; i < n; i++) t.set(`l${i}`, { type: "symlink", target: i === n - 1 ? "end" : `l${i + 1}` });
      return resolveLink(t, "l0");
    };
    expect(chain(40)).toBe("inside");
    expect(chain(41)).toBe("unresolved");
  });

  it("the walk refuses exactly the links that end outside, and counts what it saw", () => {
    const { tally, view, entries } = walkedLayer(root);
    const refused = tally.warnings.map((w) => w.path.slice(root.length + 1)).sort();
    const outside = Object.entries(LINKS)
      .filter(([, [, v]]) => v === "outside")
      .map(([l]) => l)
      .sort();
    expect(refused).toEqual(outside);
    expect(tally.files).toBe(Object.keys(LINKS).length); // links; files are counted when the stream reads them
    expect(entries.filter((e) => e.type === "file")).toHaveLength(2);
    // The disk view the walk used agrees with the map of the whole tree on every link.
    for (const link of Object.keys(LINKS)) expect(resolveLink(view.lookup, link)).toBe(resolveLink(tree, link));
  });
});
