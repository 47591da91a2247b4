import { posix } from "node:path";

/**
 * POSIX path helpers for the classifier. Paths from the Engine API and from the local runner are
 * absolute POSIX paths; these keep comparisons on segment boundaries (`/a/b` is not inside `/a/bc`).
 */

/** Normalises a path: collapses `.`/`..`/`//`, drops a trailing slash (except for `/`). */
export function normalizePath(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith("/") ? n.slice(0, -1) : n;
}

/** True when `child` is `parent` or lies below it. */
export function isInsideOrEqual(child: string, parent: string): boolean {
  if (parent === "/") return child.startsWith("/");
  return child === parent || child.startsWith(`${parent}/`);
}

/** True when `child` lies strictly below `parent`. */
export function isStrictlyInside(child: string, parent: string): boolean {
  return child !== parent && isInsideOrEqual(child, parent);
}

/** `child` relative to `parent` ("" when equal); callers check containment first. */
export function relativeTo(parent: string, child: string): string {
  if (child === parent) return "";
  return parent === "/" ? child.slice(1) : child.slice(parent.length + 1);
}

/** Every proper ancestor of an absolute path, nearest first, ending with `/`. */
export function ancestors(p: string): string[] {
  const out: string[] = [];
  let end = p.lastIndexOf("/");
  while (end > 0) {
    out.push(p.slice(0, end));
    end = p.lastIndexOf("/", end - 1);
  }
  if (p !== "/" && p.startsWith("/")) out.push("/");
  return out;
}

/**
 * When `path` lies strictly inside the directory `pattern` (whose segments may be `*`), the concrete
 * directory it lies in; otherwise undefined. `*` lets a catalog location name a version directory.
 */
export function concreteDirFor(pattern: string, path: string): string | undefined {
  if (!pattern.includes("*")) return isStrictlyInside(path, pattern) ? pattern : undefined;
  const want = pattern.split("/");
  const have = path.split("/");
  if (have.length <= want.length) return undefined;
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const h = have[i] as string;
    if (w === "*" ? h === "" : w !== h) return undefined;
  }
  return have.slice(0, want.length).join("/");
}

/** The longest literal leading part of a pattern directory (before any `*` segment). */
export function literalPrefix(pattern: string): string {
  const star = pattern.split("/").indexOf("*");
  if (star < 0) return pattern;
  const prefix = pattern.split("/").slice(0, star).join("/");
  return prefix === "" ? "/" : prefix;
}

/** Drops paths that lie inside another path of the list; returns the rest sorted. */
export function topMost(paths: Iterable<string>): string[] {
  const sorted = [...new Set(paths)].sort((a, b) => a.length - b.length);
  const kept = new Set<string>();
  for (const p of sorted) {
    if (kept.has("/") && p.startsWith("/")) continue;
    if (!ancestors(p).some((a) => kept.has(a))) kept.add(p);
  }
  return [...kept].sort(byCodeUnit);
}

/** Byte-order comparison, so sorted output does not depend on the locale. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
