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
// Secret names also count above the asset: an asset whose source lies in `.aws/` must not stage `credentials`
// because its relative name looks harmless (classify refuses such includes; this is the second line).
const secretAbove = skipMatcher(GLOBAL.filter((r) => r.kind === "secret"));
// Export walks every file of an asset; build its matchers once per asset object.
const matchers = new WeakMap<PlannedAsset, { relative: Matcher; absolute: Matcher }>();

/**
 * Per-entry filter used while exporting an asset's tree: a reason to skip, or undefined to keep.
 * `relPath` is POSIX, relative to `asset.source`. Applies the global noise/secret names plus the rules
 * the classifier attached to the asset (HF `token`, `.locks`, `xet/`, user excludes, …), so export
 * makes the same decisions classification reported. Secret names are matched on the absolute path too.
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
  const full = posix.join(asset.source, rel);
  const hit = secretAbove(full) ?? m.relative(rel) ?? m.absolute(full);
  return hit ? describeSkip(hit) : undefined;
}
