import { posix } from "node:path";
import type { Place } from "../catalog/resolve.js";
import { isInsideOrEqual, relativeTo } from "./classify-paths.js";
import { assetRules } from "./classify-rules.js";
import type { IncludeRequest, PlannedAsset } from "./classify-types.js";
import { portableSlug, type RunPlaces } from "./include-spec.js";
import { type CodeHit, relocate, scanTarget, xdgBases } from "./relocate.js";

export interface IncludeContext {
  places: RunPlaces;
  env: Readonly<Record<string, string>>;
  assetRoot: string;
  exclude: readonly string[];
  /** What the code scan found, by searched name. */
  hits: ReadonlyMap<string, readonly CodeHit[]>;
}

/**
 * Assets for `--include` folders. Ids and targets are relative to the run's HOME or project (`include-mylib`
 * for `~/.mylib` on both runners), so the lock is the same on every machine; `relocate` decides the
 * variable that points the library at the folder in the image, or places it under HOME.
 */
export function planIncludeAssets(
  includes: readonly IncludeRequest[],
  catalogAssets: readonly PlannedAsset[],
  catalogPlaces: readonly Place[],
  ctx: IncludeContext,
): PlannedAsset[] {
  const out: PlannedAsset[] = [];
  const ids = new Set(catalogAssets.map((a) => a.id));
  const taken = new Set(catalogAssets.map((a) => a.target));
  const byPath = new Map<string, IncludeRequest>();
  for (const inc of includes) if (!byPath.has(inc.path) || inc.variable) byPath.set(inc.path, inc);
  const paths = [...byPath.keys()].sort();
  for (const dir of paths) {
    // Already packaged by a catalog asset (or a wider include): nothing to add.
    if (catalogAssets.some((a) => isInsideOrEqual(dir, a.source))) continue;
    if (paths.some((other) => other !== dir && isInsideOrEqual(dir, other))) continue;
    const base = `include-${portableSlug(dir, ctx.places)}`;
    let id = base;
    for (let n = 2; ids.has(id); n++) id = `${base}-${n}`;
    ids.add(id);
    const layout = relocate({
      root: dir,
      places: ctx.places,
      env: ctx.env,
      assetRoot: ctx.assetRoot,
      variable: byPath.get(dir)?.variable,
      hits: hitsFor(dir, ctx),
      taken,
    });
    // Two folders with one slug (`~/.mylib`, `~/mylib`): the second gets a suffix, and so does a variable
    // that pointed at the folder itself.
    let target = layout.target;
    for (let n = 2; taken.has(target); n++) target = `${layout.target}-${n}`;
    taken.add(target);
    const env = { ...layout.env };
    if (target !== layout.target) {
      const was = posix.join(ctx.assetRoot, layout.target);
      for (const [k, v] of Object.entries(env)) if (v === was) env[k] = posix.join(ctx.assetRoot, target);
    }
    // Catalog assets inside an included directory stay their own assets; carve them out here.
    const carved = catalogAssets
      .filter((a) => isInsideOrEqual(a.source, dir))
      .map((a) => ({
        pattern: relativeTo(dir, a.source),
        kind: "excluded" as const,
        reason: `packaged as asset ${a.id}`,
      }));
    out.push({
      id,
      library: "include",
      source: dir,
      target,
      env,
      layering: "single",
      notes: layout.notes,
      skipRules: [...carved, ...assetRules(dir, catalogPlaces, ctx.exclude)],
      writable: false,
      ...(layout.home === undefined ? {} : { home: layout.home }),
      relocation: layout.relocation,
    });
  }
  return out;
}

/** The code-scan hits that concern this folder's name. */
export function hitsFor(dir: string, ctx: Pick<IncludeContext, "places" | "env" | "hits">): readonly CodeHit[] {
  const scan = scanTarget(dir, ctx.places, xdgBases(ctx.env, ctx.places.home));
  return scan ? (ctx.hits.get(scan.request.name) ?? []) : [];
}
