import { globToRegExp } from "../catalog/glob.js";
import { GLOBAL_RULES } from "../catalog/hygiene.js";
import type { Place } from "../catalog/resolve.js";
import { isInsideOrEqual, relativeTo } from "./classify-paths.js";

/**
 * Skip rules (noise, secrets, user excludes) in one shape, so classifying a run and filtering an asset's
 * tree during export apply exactly the same decisions.
 */

export type SkipKind = "noise" | "secret" | "excluded";

/** A glob that skips what it matches and everything below. Relative patterns are relative to the asset source. */
export interface SkipRule {
  pattern: string;
  kind: SkipKind;
  reason: string;
}

/** The top-most matched prefix of a path and why it is skipped. */
export interface SkipMatch {
  root: string;
  kind: SkipKind;
  reason: string;
}

/** Human-readable reason, also what `stagingFilter` returns and the lock's `skipped[].reason`. */
export function describeSkip(match: { kind: SkipKind; reason: string }): string {
  return `${match.kind}: ${match.reason}`;
}

/** Rules for absolute paths in one run: global names, noise/secret locations, scoped entry rules, excludes. */
export function absoluteRules(places: readonly Place[], exclude: readonly string[]): SkipRule[] {
  const rules: SkipRule[] = GLOBAL_RULES.map((r) => ({ pattern: r.glob, kind: r.kind, reason: r.reason }));
  for (const place of places) {
    const role = place.location.role ?? "cache";
    if (role !== "cache") {
      rules.push({ pattern: place.dir, kind: role, reason: place.location.reason ?? role });
    }
    for (const rule of place.location.rules ?? []) {
      rules.push({ pattern: `${place.dir}/${rule.glob}`, kind: rule.kind, reason: rule.reason });
    }
  }
  for (const glob of exclude) rules.push(excludeRule(glob));
  return rules;
}

/** The rule for one `--exclude` glob. */
export function excludeRule(glob: string): SkipRule {
  return { pattern: glob, kind: "excluded", reason: `--exclude ${glob}` };
}

/**
 * Rules an asset carries for export, relative to its source: the noise/secret locations and scoped
 * rules that fall inside it, plus the user's excludes (kept absolute). Global name rules are not copied;
 * `stagingFilter` always applies them.
 */
export function assetRules(source: string, places: readonly Place[], exclude: readonly string[]): SkipRule[] {
  const rules: SkipRule[] = [];
  for (const place of places) {
    if (!isInsideOrEqual(place.dir, source)) continue;
    const rel = relativeTo(source, place.dir);
    const role = place.location.role ?? "cache";
    if (role !== "cache" && rel !== "") {
      rules.push({ pattern: rel, kind: role, reason: place.location.reason ?? role });
    }
    for (const rule of place.location.rules ?? []) {
      rules.push({
        pattern: rel === "" ? rule.glob : `${rel}/${rule.glob}`,
        kind: rule.kind,
        reason: rule.reason,
      });
    }
  }
  for (const glob of exclude) rules.push(excludeRule(glob));
  return dedupe(rules);
}

/**
 * A matcher answering "what is the top-most skip for this path?". Secrets win over other kinds at the
 * same depth so they are always reported as secrets. Decisions are cached per prefix: a diff holds tens
 * of thousands of paths sharing a few thousand directories.
 */
export function skipMatcher(rules: readonly SkipRule[]): (path: string) => SkipMatch | undefined {
  // Index the rules: literal paths by exact string, `**/name` by last segment, the rest as RegExps.
  const literal = new Map<string, SkipRule[]>();
  const byName = new Map<string, SkipRule[]>();
  const general: { rule: SkipRule; re: RegExp }[] = [];
  const push = (map: Map<string, SkipRule[]>, key: string, rule: SkipRule) =>
    map.set(key, [...(map.get(key) ?? []), rule]);
  for (const rule of rules) {
    const name = rule.pattern.startsWith("**/") ? rule.pattern.slice(3) : undefined;
    if (!/[*?\\]/.test(rule.pattern)) push(literal, rule.pattern, rule);
    else if (name !== undefined && !/[*?\\/]/.test(name)) push(byName, name, rule);
    else general.push({ rule, re: globToRegExp(rule.pattern) });
  }
  const exact = new Map<string, SkipMatch | null>();
  const matchExactly = (prefix: string, name: string): SkipMatch | null => {
    const known = exact.get(prefix);
    if (known !== undefined) return known;
    const matching = [...(literal.get(prefix) ?? []), ...(byName.get(name) ?? [])];
    for (const { rule, re } of general) if (re.test(prefix)) matching.push(rule);
    let best: SkipMatch | null = null;
    for (const rule of matching) {
      if (best === null || (rule.kind === "secret" && best.kind !== "secret")) {
        best = { root: prefix, kind: rule.kind, reason: rule.reason };
      }
    }
    exact.set(prefix, best);
    return best;
  };
  return (path) => {
    const parts = path.split("/").filter((p) => p !== "");
    let prefix = path.startsWith("/") ? "" : undefined;
    for (const part of parts) {
      prefix = prefix === undefined ? part : `${prefix}/${part}`;
      const hit = matchExactly(prefix, part);
      if (hit) return hit;
    }
    return undefined;
  };
}

/** One-off form of `skipMatcher`. */
export function firstSkip(rules: readonly SkipRule[], path: string): SkipMatch | undefined {
  return skipMatcher(rules)(path);
}

function dedupe(rules: SkipRule[]): SkipRule[] {
  const seen = new Set<string>();
  return rules.filter((r) => {
    const key = `${r.kind}\0${r.pattern}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
