import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LayerSource, layerEntries, layerPrefix } from "../../src/image/layer-entries.js";
import { type LayerPart, layerTitle, type PlanAsset, planLayers } from "../../src/image/layer-plan.js";
import { newTally, TreeView } from "../../src/image/tree-walk.js";
import { compareUtf8 } from "../../src/util/byte-order.js";
import { tempDir } from "./helpers.js";

const sizes = new Map<string, number>();
const bytesOf = (part: LayerPart) => sizes.get(`${part.assetId}:${part.include ?? "*"}`) ?? 0;

function summary(assets: PlanAsset[], max?: number) {
  return planLayers(assets, max, bytesOf).map((p) => ({
    title: layerTitle(p),
    parts: p.parts.map(
      (part) => `${part.assetId}:${part.include ?? "*"}${part.exclude.map((e) => ` -${e}`).join("")}`,
    ),
    bytes: p.bytes,
  }));
}

describe("planLayers", () => {
  it.each<[string, PlanAsset[], ReturnType<typeof summary>]>([
    [
      "single: one layer per asset, ordered by id",
      [
        { id: "nltk", target: "nltk_data", layering: "single" },
        { id: "gensim", target: "gensim-data", layering: "single" },
      ],
      [
        { title: "gensim-data", parts: ["gensim:*"], bytes: 0 },
        { title: "nltk_data", parts: ["nltk:*"], bytes: 0 },
      ],
    ],
    [
      "hf-repos: the rest first, then one layer per repo folder in path order",
      [
        {
          id: "huggingface",
          target: "huggingface",
          layering: "hf-repos",
          repos: ["hub/models--b--x", "hub/datasets--a--y"],
          rest: true,
        },
      ],
      [
        { title: "huggingface", parts: ["huggingface:* -hub/datasets--a--y -hub/models--b--x"], bytes: 0 },
        { title: "huggingface/hub/datasets--a--y", parts: ["huggingface:hub/datasets--a--y"], bytes: 0 },
        { title: "huggingface/hub/models--b--x", parts: ["huggingface:hub/models--b--x"], bytes: 0 },
      ],
    ],
    [
      "hf-repos: no rest layer when only repos hold files; a hub dir itself as the asset works too",
      [{ id: "hub", target: "huggingface/hub", layering: "hf-repos", repos: ["models--o--m"], rest: false }],
      [{ title: "huggingface/hub/models--o--m", parts: ["hub:models--o--m"], bytes: 0 }],
    ],
    [
      "an empty asset still gets its (directory-only) layer",
      [{ id: "empty", target: "e", layering: "hf-repos", repos: [], rest: false }],
      [{ title: "e", parts: ["empty:*"], bytes: 0 }],
    ],
  ])("%s", (_name, assets, expected) => {
    expect(summary(assets)).toEqual(expected);
  });

  it("merges the smallest layer into its smaller neighbour until the cap holds (sizes asked only then)", () => {
    const list = [50, 1, 40, 2, 30];
    const assets: PlanAsset[] = list.map((size, i) => {
      sizes.set(`a${i}:*`, size);
      return { id: `a${i}`, target: `t${i}`, layering: "single" };
    });
    // 1 (a1) merges into a2 (40 < 50) → [50, 41, 2, 30]; then 2 (a3) merges into a4 (30 < 41) → [50, 41, 32].
    expect(summary(assets, 3)).toEqual([
      { title: "t0", parts: ["a0:*"], bytes: 50 },
      { title: "t1 (+1 merged)", parts: ["a1:*", "a2:*"], bytes: 41 },
      { title: "t3 (+1 merged)", parts: ["a3:*", "a4:*"], bytes: 32 },
    ]);
    let asked = 0;
    planLayers(assets, 5, () => ++asked);
    expect(asked).toBe(0);
  });

  it("caps at 32 layers by default and keeps every part exactly once", () => {
    const repos = Array.from({ length: 40 }, (_, i) => `hub/models--o--m${String(i).padStart(2, "0")}`);
    repos.forEach((r, i) => sizes.set(`hf:${r}`, i));
    const plans = planLayers([{ id: "hf", target: "huggingface", layering: "hf-repos", repos, rest: false }], undefined, bytesOf);
    expect(plans).toHaveLength(32);
    const includes = plans.flatMap((p) => p.parts.map((part) => part.include));
    expect(includes).toEqual(repos);
    expect(plans.reduce((sum, p) => sum + p.bytes, 0)).toBe((39 * 40) / 2);
  });

  it("does not depend on input order", () => {
    const a: PlanAsset = { id: "a", target: "a", layering: "single" };
    const b: PlanAsset = { id: "b", target: "b", layering: "single" };
    expect(planLayers([b, a])).toEqual(planLayers([a, b]));
  });
});

describe("layerEntries", () => {
  const tmp = tempDir("mlpack-entries-");
  afterAll(() => tmp.cleanup());
  const assets = new Map<string, LayerSource>();
  beforeAll(() => {
    for (const [id, target, rels] of [
      ["x", "hf", ["hub/z.txt", "hub/a-b", "hub/a/b", "é", "v.txt"]],
      ["y", "hf/hub", ["a/b", "zz"]],
    ] as const) {
      const dir = join(tmp.dir, id);
      for (const rel of rels) {
        mkdirSync(join(dir, rel, ".."), { recursive: true });
        writeFileSync(join(dir, rel), "1");
      }
      const tally = newTally(id, dir);
      assets.set(id, { id, target, tally, view: new TreeView(tally.dir) });
    }
  });
  const names = (parts: LayerPart[]) =>
    [...layerEntries({ titles: [], parts, bytes: 0 }, assets, "/cache")].map((e) => e.name);

  it("one part: the walk's order with the parents in front, already sorted (a dir's children after a-b)", () => {
    const got = names([{ assetId: "x", include: null, exclude: [] }]);
    expect(got).toEqual([...got].sort(compareUtf8));
    expect(got).toEqual([
      "cache",
      "cache/hf",
      "cache/hf/hub",
      "cache/hf/hub/a",
      "cache/hf/hub/a-b",
      "cache/hf/hub/a/b",
      "cache/hf/hub/z.txt",
      "cache/hf/v.txt",
      "cache/hf/é",
    ]);
  });

  it("include and exclude parts: the parents of an include, nothing of an excluded subtree", () => {
    expect(names([{ assetId: "x", include: "hub/a", exclude: [] }])).toEqual([
      "cache",
      "cache/hf",
      "cache/hf/hub",
      "cache/hf/hub/a",
      "cache/hf/hub/a/b",
    ]);
    expect(names([{ assetId: "x", include: null, exclude: ["hub"] }])).toEqual([
      "cache",
      "cache/hf",
      "cache/hf/v.txt",
      "cache/hf/é",
    ]);
  });

  it("merged parts: sorted, and a name two parts share is written once (the first part's)", () => {
    const got = names([
      { assetId: "x", include: null, exclude: [] },
      { assetId: "y", include: null, exclude: [] },
    ]);
    expect(got).toEqual([...new Set(got)].sort(compareUtf8));
    expect(got.filter((n) => n === "cache/hf/hub/a/b")).toHaveLength(1);
    expect(got).toContain("cache/hf/hub/zz");
  });

  it.each([
    ["cache", "x"],
    ["/cache/../etc", "x"],
    ["/cache/./x", "x"],
    ["/cache", "../bin"],
    ["/cache", "a/../../bin"],
    ["/cache", "a//b"],
    ["/cache", "a\0b"],
  ])("refuses asset root %j with target %j (E_UNSAFE_PATH)", (root, target) => {
    expect(() => layerPrefix(root, target.replace("\\0", "\0"))).toThrow(expect.objectContaining({ code: "E_UNSAFE_PATH" }));
  });

  it("accepts the usual roots and targets", () => {
    expect(layerPrefix("/cache", "huggingface")).toBe("cache/huggingface");
    expect(layerPrefix("/cache/", "/nltk_data/")).toBe("cache/nltk_data");
    expect(layerPrefix("/", "x")).toBe("x");
  });
});
