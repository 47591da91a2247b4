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
  /** Every non-directory entry of the staged tree: path relative to the asset dir, and its size. */
  files: ReadonlyArray<{ rel: string; size: number }>;
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
  bytes: number;
  files: number;
}

const REPO_FOLDER = /^(?:hub\/)?(?:models|datasets|spaces)--[^/]+(?=\/)/;

function planAsset(asset: PlanAsset): LayerPlan[] {
  if (asset.layering === "single") {
    const bytes = asset.files.reduce((sum, f) => sum + f.size, 0);
    const part = { assetId: asset.id, include: null, exclude: [] };
    return [{ titles: [asset.target], parts: [part], bytes, files: asset.files.length }];
  }
  const repos = new Map<string, { bytes: number; files: number }>();
  let restBytes = 0;
  let restFiles = 0;
  for (const file of asset.files) {
    const repo = REPO_FOLDER.exec(file.rel)?.[0];
    if (repo === undefined) {
      restBytes += file.size;
      restFiles += 1;
      continue;
    }
    const stats = repos.get(repo) ?? { bytes: 0, files: 0 };
    stats.bytes += file.size;
    stats.files += 1;
    repos.set(repo, stats);
  }
  const repoPaths = [...repos.keys()].sort(compareUtf8);
  const plans: LayerPlan[] = [];
  // The rest sorts first: its path is the asset dir itself.
  if (restFiles > 0) {
    plans.push({
      titles: [asset.target],
      parts: [{ assetId: asset.id, include: null, exclude: repoPaths }],
      bytes: restBytes,
      files: restFiles,
    });
  }
  for (const repo of repoPaths) {
    const stats = repos.get(repo) ?? { bytes: 0, files: 0 };
    plans.push({
      titles: [`${asset.target}/${repo}`],
      parts: [{ assetId: asset.id, include: repo, exclude: [] }],
      ...stats,
    });
  }
  if (plans.length === 0) {
    plans.push({
      titles: [asset.target],
      parts: [{ assetId: asset.id, include: null, exclude: [] }],
      bytes: 0,
      files: 0,
    });
  }
  return plans;
}

function merge(a: LayerPlan, b: LayerPlan): LayerPlan {
  return {
    titles: [...a.titles, ...b.titles],
    parts: [...a.parts, ...b.parts],
    bytes: a.bytes + b.bytes,
    files: a.files + b.files,
  };
}

/**
 * Plans layers ordered by asset id, then path. Beyond `maxLayers`, the smallest layer (first one on a tie)
 * is merged into its smaller neighbour (left on a tie), so order is kept and the result depends only on
 * the input, never on timing.
 */
export function planLayers(assets: ReadonlyArray<PlanAsset>, maxLayers: number = MAX_LAYERS): LayerPlan[] {
  const sorted = [...assets].sort((a, b) => compareUtf8(a.id, b.id));
  const plans = sorted.flatMap(planAsset);
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
