import { describe, expect, it } from "vitest";
import { layerEntries, type ScannedAsset } from "../../src/image/layer-entries.js";
import { type LayerPart, layerTitle, type PlanAsset, planLayers } from "../../src/image/layer-plan.js";
import { compareUtf8 } from "../../src/util/byte-order.js";

const file = (rel: string, size = 1) => ({ rel, size });

function summary(assets: PlanAsset[], max?: number) {
  return planLayers(assets, max).map((p) => ({
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
        { id: "nltk", target: "nltk_data", layering: "single", files: [file("a", 5)] },
        { id: "gensim", target: "gensim-data", layering: "single", files: [file("b", 3), file("c", 4)] },
      ],
      [
        { title: "gensim-data", parts: ["gensim:*"], bytes: 7 },
        { title: "nltk_data", parts: ["nltk:*"], bytes: 5 },
      ],
    ],
    [
      "hf-repos: the rest first, then one layer per repo folder in path order",
      [
        {
          id: "huggingface",
          target: "huggingface",
          layering: "hf-repos",
          files: [
            file("hub/models--b--x/blobs/1", 10),
            file("hub/datasets--a--y/blobs/2", 20),
            file("hub/models--b--x/refs/main", 1),
            file("hub/version.txt", 1),
            file("token-free.txt", 1),
          ],
        },
      ],
      [
        { title: "huggingface", parts: ["huggingface:* -hub/datasets--a--y -hub/models--b--x"], bytes: 2 },
        { title: "huggingface/hub/datasets--a--y", parts: ["huggingface:hub/datasets--a--y"], bytes: 20 },
        { title: "huggingface/hub/models--b--x", parts: ["huggingface:hub/models--b--x"], bytes: 11 },
      ],
    ],
    [
      "hf-repos: no rest layer when only repos hold files; a hub dir itself as the asset works too",
      [
        {
          id: "hub",
          target: "huggingface/hub",
          layering: "hf-repos",
          files: [file("models--o--m/blobs/1", 4)],
        },
      ],
      [{ title: "huggingface/hub/models--o--m", parts: ["hub:models--o--m"], bytes: 4 }],
    ],
    [
      "an empty asset still gets its (directory-only) layer",
      [{ id: "empty", target: "e", layering: "hf-repos", files: [] }],
      [{ title: "e", parts: ["empty:*"], bytes: 0 }],
    ],
  ])("%s", (_name, assets, expected) => {
    expect(summary(assets)).toEqual(expected);
  });

  it("merges the smallest layer into its smaller neighbour until the cap holds", () => {
    const sizes = [50, 1, 40, 2, 30];
    const assets: PlanAsset[] = sizes.map((size, i) => ({
      id: `a${i}`,
      target: `t${i}`,
      layering: "single",
      files: [file("f", size)],
    }));
    // 1 (a1) merges into a2 (40 < 50) → [50, 41, 2, 30]; then 2 (a3) merges into a4 (30 < 41) → [50, 41, 32].
    expect(summary(assets, 3)).toEqual([
      { title: "t0", parts: ["a0:*"], bytes: 50 },
      { title: "t1 (+1 merged)", parts: ["a1:*", "a2:*"], bytes: 41 },
      { title: "t3 (+1 merged)", parts: ["a3:*", "a4:*"], bytes: 32 },
    ]);
  });

  it("caps at 32 layers by default and keeps every part exactly once", () => {
    const files = Array.from({ length: 40 }, (_, i) =>
      file(`hub/models--o--m${String(i).padStart(2, "0")}/blobs/x`, i),
    );
    const plans = planLayers([{ id: "hf", target: "huggingface", layering: "hf-repos", files }]);
    expect(plans).toHaveLength(32);
    const includes = plans.flatMap((p) => p.parts.map((part) => part.include));
    expect(includes).toEqual(files.map((f) => f.rel.split("/").slice(0, 2).join("/")));
    expect(plans.reduce((sum, p) => sum + p.bytes, 0)).toBe((39 * 40) / 2);
  });

  it("does not depend on input order", () => {
    const a: PlanAsset = { id: "a", target: "a", layering: "single", files: [file("x")] };
    const b: PlanAsset = { id: "b", target: "b", layering: "single", files: [file("y")] };
    expect(planLayers([b, a])).toEqual(planLayers([a, b]));
  });
});

describe("layerEntries", () => {
  const scanned = (id: string, target: string, rels: string[]): ScannedAsset => ({
    id,
    target,
    scan: {
      dir: `/staged/${id}`,
      warnings: [],
      counts: { files: rels.length, bytes: rels.length },
      entries: [...rels].sort(compareUtf8).map((rel) => ({ rel, type: "file", mode: 0o644, size: 1 })),
    },
  });
  const assets = new Map([
    ["x", scanned("x", "hf", ["hub/z.txt", "hub/a-b", "hub/a/b", "é", "v.txt"])],
    ["y", scanned("y", "hf/hub", ["a/b", "zz"])],
  ]);
  const names = (parts: LayerPart[]) =>
    layerEntries({ titles: [], parts, bytes: 0, files: 0 }, assets, "/cache").entries.map((e) => e.name);

  it("one part: the scan's order with the parents in front, already sorted", () => {
    const got = names([{ assetId: "x", include: null, exclude: [] }]);
    expect(got).toEqual([...got].sort(compareUtf8));
    expect(got).toEqual(["cache", "cache/hf", "cache/hf/hub/a-b", "cache/hf/hub/a/b", "cache/hf/hub/z.txt", "cache/hf/v.txt", "cache/hf/é"]);
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
});
