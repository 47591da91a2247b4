/**
 * Layer planning: which staged paths go into which image layer. Pure, so the rules (one layer per asset,
 * one per Hugging Face repo folder, at most 32 layers) are table-tested without touching disk.
 */

import { compareUtf8 } from "../util/byte-order.js";

/** Lambda and BuildKit cope with more, but few layers keep the manifest small and pulls parallel enough. */
export const MAX_LAYERS = 32;

export type Layering = "single" | "hf-repos";

export interface PlanAsset {
  id: string;
  /** Path under the asset root, "/"-separated, no leading slash (e.g. "huggingface"). */
  target: string;
  layering: Layering;
  /**
   * hf-repos only: the repo folders (e.g. "hub/models--org--name") that hold something to package, and
   * whether anything outside them does. Found by the caller's walk; sizes are only asked for when the
   * plan has to merge (see planLayers).
   */
  repos?: ReadonlyArray<string>;
  rest?: boolean;
}

/** A slice of one asset: everything under `include` (null = the whole asset) minus the `exclude` subtrees. */
export interface LayerPart {
  assetId: string;
  include: string | null;
  exclude: string[];
}

export interface LayerPlan {
  /** Human names of what the layer holds, in order; more than one after merging. */
  titles: string[];
  parts: LayerPart[];
  /** Content bytes, measured only when layers had to be merged (0 otherwise). */
  bytes: number;
}

/** A repo folder of a Hugging Face cache, at the asset's top or under hub/ (it must hold something). */
export const REPO_FOLDER = /^(?:hub\/)?(?:models|datasets|spaces)--[^/]+$/;

function planAsset(asset: PlanAsset): LayerPlan[] {
  const whole = (): LayerPlan => ({
    titles: [asset.target],
    parts: [{ assetId: asset.id, include: null, exclude: [] }],
    bytes: 0,
  });
  if (asset.layering === "single") return [whole()];
  const repoPaths = [...(asset.repos ?? [])].sort(compareUtf8);
  const plans: LayerPlan[] = [];
  // The rest sorts first: its path is the asset dir itself.
  if (asset.rest) {
    plans.push({ titles: [asset.target], parts: [{ assetId: asset.id, include: null, exclude: repoPaths }], bytes: 0 });
  }
  for (const repo of repoPaths) {
    plans.push({ titles: [`${asset.target}/${repo}`], parts: [{ assetId: asset.id, include: repo, exclude: [] }], bytes: 0 });
  }
  if (plans.length === 0) plans.push(whole());
  return plans;
}

function merge(a: LayerPlan, b: LayerPlan): LayerPlan {
  return { titles: [...a.titles, ...b.titles], parts: [...a.parts, ...b.parts], bytes: a.bytes + b.bytes };
}

/**
 * Plans layers ordered by asset id, then path. Beyond `maxLayers`, the smallest layer (first one on a tie)
 * is merged into its smaller neighbour (left on a tie), so order is kept and the result depends only on
 * the input, never on timing. Sizes are only needed then: `bytesOf` measures a part (a metadata walk), and
 * is not called at all while the cap holds.
 */
export function planLayers(
  assets: ReadonlyArray<PlanAsset>,
  maxLayers: number = MAX_LAYERS,
  bytesOf?: (part: LayerPart) => number,
): LayerPlan[] {
  const sorted = [...assets].sort((a, b) => compareUtf8(a.id, b.id));
  const plans = sorted.flatMap(planAsset);
  if (plans.length > Math.max(1, maxLayers)) {
    if (!bytesOf) throw new Error("planLayers needs sizes to merge layers");
    for (const plan of plans) plan.bytes = plan.parts.reduce((sum, part) => sum + bytesOf(part), 0);
  }
  while (plans.length > Math.max(1, maxLayers)) {
    let smallest = 0;
    plans.forEach((plan, i) => {
      if (plan.bytes < (plans[smallest]?.bytes ?? Number.POSITIVE_INFINITY)) smallest = i;
    });
    const left = plans[smallest - 1];
    const right = plans[smallest + 1];
    const useLeft = left !== undefined && (right === undefined || left.bytes <= right.bytes);
    const at = useLeft ? smallest - 1 : smallest;
    const first = plans[at];
    const second = plans[at + 1];
    if (!first || !second) break;
    plans.splice(at, 2, merge(first, second));
  }
  return plans;
}

/** The title shown in history and results: the first thing in the layer, plus a count of what was merged. */
export function layerTitle(plan: LayerPlan): string {
  const [first = "", ...rest] = plan.titles;
  return rest.length === 0 ? first : `${first} (+${rest.length} merged)`;
}
