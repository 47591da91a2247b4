import { posix } from "node:path";
import { GLOBAL_RULES } from "../catalog/hygiene.js";
import { describeSkip, type SkipMatch, type SkipRule, skipMatcher } from "./classify-rules.js";
import type { PlannedAsset } from "./classify-types.js";

const GLOBAL: readonly SkipRule[] = GLOBAL_RULES.map((r) => ({
  pattern: r.glob,
  kind: r.kind,
  reason: r.reason,
}));

type Matcher = (path: string) => SkipMatch | undefined;
// Export walks every file of an asset; build its matchers once per asset object.
const matchers = new WeakMap<PlannedAsset, { relative: Matcher; absolute: Matcher }>();

/**
 * Per-entry filter used while exporting an asset's tree: a reason to skip, or undefined to keep.
 * `relPath` is POSIX, relative to `asset.source`. Applies the global noise/secret names plus the rules
 * the classifier attached to the asset (HF `token`, `.locks`, `xet/`, user excludes, …), so export
 * makes the same decisions classification reported.
 */
export function stagingFilter(asset: PlannedAsset, relPath: string): string | undefined {
  const rel = posix
    .normalize(relPath)
    .replace(/^(\.\/)+|^\/+/, "")
    .replace(/\/+$/, "");
  if (rel === "" || rel === ".") return undefined;
  let m = matchers.get(asset);
  if (!m) {
    const relative: SkipRule[] = [...GLOBAL];
    const absolute: SkipRule[] = [];
    for (const rule of asset.skipRules) (rule.pattern.startsWith("/") ? absolute : relative).push(rule);
    m = { relative: skipMatcher(relative), absolute: skipMatcher(absolute) };
    matchers.set(asset, m);
  }
  const hit = m.relative(rel) ?? m.absolute(posix.join(asset.source, rel));
  return hit ? describeSkip(hit) : undefined;
}
