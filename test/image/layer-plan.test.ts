import { describe, expect, it } from "vitest";
import { layerTitle, type PlanAsset, planLayers } from "../../src/image/layer-plan.js";

const file = (path: string, size = 1) => ({ path, size });

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
    expect(includes).toEqual(files.map((f) => f.path.split("/").slice(0, 2).join("/")));
    expect(plans.reduce((sum, p) => sum + p.bytes, 0)).toBe((39 * 40) / 2);
  });

  it("does not depend on input order", () => {
    const a: PlanAsset = { id: "a", target: "a", layering: "single", files: [file("x")] };
    const b: PlanAsset = { id: "b", target: "b", layering: "single", files: [file("y")] };
    expect(planLayers([b, a])).toEqual(planLayers([a, b]));
  });
});
