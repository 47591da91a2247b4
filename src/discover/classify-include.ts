import { posix } from "node:path";
import type { Place } from "../catalog/resolve.js";
import { isInsideOrEqual, relativeTo } from "./classify-paths.js";
import { assetRules } from "./classify-rules.js";
import type { PlannedAsset } from "./classify-types.js";

/**
 * Assets for `--include` directories: packaged as they are, with no ENV (mlpack cannot know which
 * variable the code reads), under `include/<slug>` so they never collide with a catalog target.
 */
export function planIncludeAssets(
  includes: readonly string[],
  catalogAssets: readonly PlannedAsset[],
  places: readonly Place[],
  assetRoot: string,
  exclude: readonly string[],
): PlannedAsset[] {
  const out: PlannedAsset[] = [];
  const taken = new Set<string>();
  for (const dir of [...new Set(includes)].sort()) {
    // Already packaged by a catalog asset (or a wider include): nothing to add.
    if (catalogAssets.some((a) => isInsideOrEqual(dir, a.source))) continue;
    if (includes.some((other) => other !== dir && isInsideOrEqual(dir, other))) continue;
    const base = slug(dir);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
    taken.add(name);
    const target = `include/${name}`;
    // Catalog assets inside an included directory stay their own assets; carve them out here.
    const carved = catalogAssets
      .filter((a) => isInsideOrEqual(a.source, dir))
      .map((a) => ({
        pattern: relativeTo(dir, a.source),
        kind: "excluded" as const,
        reason: `packaged as asset ${a.id}`,
      }));
    out.push({
      id: `include-${name}`,
      library: "include",
      source: dir,
      target,
      env: {},
      layering: "single",
      notes: [
        `Packaged because of --include ${dir}; in the image it is ${posix.join(assetRoot, target)}: read it from there.`,
      ],
      skipRules: [...carved, ...assetRules(dir, places, exclude)],
    });
  }
  return out;
}

/** A stable, readable id part for a directory: "/opt/ml/models" → "opt-ml-models". */
export function slug(dir: string): string {
  const s = dir
    .toLowerCase()
    .replace(/[^a-z0-9._]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "");
  return s === "" ? "root" : s;
}
