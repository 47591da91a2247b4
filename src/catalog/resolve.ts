import { posix } from "node:path";
import { BASES } from "./define.js";
import type { CacheLocation, Candidate, CatalogEntry } from "./types.js";

/**
 * Resolves catalog locations to directories for one run's environment, the way each library computes
 * them: candidates in order, first applicable wins (or all of them for search lists such as nltk's).
 * Pure: the environment, HOME and working directory are inputs.
 */

export interface ResolveContext {
  env: Readonly<Record<string, string>>;
  /** The run's HOME, for `~`. */
  home: string;
  /** Working directory for relative variable values; without it such values point nowhere we can see. */
  cwd?: string | undefined;
}

/** A location resolved to one directory. `dir` may contain `*` segments (a version directory, say). */
export interface Place {
  /** Undefined for the global noise locations. */
  entry: CatalogEntry | undefined;
  location: CacheLocation;
  /** `"<entry id>.<location key>"`, or `"hygiene.<key>"`. */
  locationId: string;
  dir: string;
}

type Outcome = { applies: false } | { applies: true; dirs: string[] };
const SKIP: Outcome = { applies: false };

/** Resolves every location of the given entries (plus extra ownerless ones) into places, catalog order. */
export function resolvePlaces(
  entries: readonly CatalogEntry[],
  ctx: ResolveContext,
  extra: readonly CacheLocation[] = [],
): Place[] {
  const byId = new Map<string, { entry: CatalogEntry | undefined; location: CacheLocation }>();
  for (const entry of entries) {
    for (const location of entry.locations) byId.set(`${entry.id}.${location.key}`, { entry, location });
  }
  for (const location of extra) byId.set(`hygiene.${location.key}`, { entry: undefined, location });

  const memo = new Map<string, string[]>();
  const resolveId = (id: string, stack: readonly string[]): string[] => {
    const known = memo.get(id);
    if (known) return known;
    const found = byId.get(id);
    // An unknown or cyclic reference resolves to nothing rather than looping.
    if (!found || stack.includes(id)) return [];
    const dirs = resolveLocation(found.location, ctx, (ref) => resolveId(ref, [...stack, id]));
    memo.set(id, dirs);
    return dirs;
  };

  const places: Place[] = [];
  for (const [locationId, { entry, location }] of byId) {
    for (const dir of resolveId(locationId, [])) places.push({ entry, location, locationId, dir });
  }
  return places;
}

/** The directories one location resolves to: one for first-wins locations, several for search lists. */
export function resolveLocation(
  location: CacheLocation,
  ctx: ResolveContext,
  resolveRef: (locationId: string) => string[] = () => [],
): string[] {
  const dirs: string[] = [];
  for (const candidate of location.candidates) {
    const outcome = resolveCandidate(candidate, ctx, resolveRef);
    if (!outcome.applies) continue;
    if (!location.searchAll) return outcome.dirs.slice(0, 1);
    for (const dir of outcome.dirs) if (!dirs.includes(dir)) dirs.push(dir);
  }
  return dirs;
}

function resolveCandidate(
  candidate: Candidate,
  ctx: ResolveContext,
  resolveRef: (id: string) => string[],
): Outcome {
  switch (candidate.kind) {
    case "env": {
      const value = ctx.env[candidate.name];
      if (value === undefined) return SKIP;
      if (value === "") return candidate.emptyDisables ? { applies: true, dirs: [] } : SKIP;
      const values = candidate.list ? value.split(":").filter((v) => v !== "") : [value];
      const dirs = values
        .map((v) => absolutise(expand(v, candidate.expand ?? "user", ctx), ctx))
        .filter((v): v is string => v !== undefined)
        .map((v) => (candidate.path ? posix.join(v, candidate.path) : v));
      return { applies: true, dirs };
    }
    case "home":
      return { applies: true, dirs: [posix.join(ctx.home, candidate.path)] };
    case "abs":
      return { applies: true, dirs: [posix.normalize(candidate.path)] };
    case "base": {
      const [dir] = resolveLocation({ key: candidate.base, candidates: BASES[candidate.base] }, ctx);
      return dir === undefined ? SKIP : { applies: true, dirs: [posix.join(dir, candidate.path)] };
    }
    case "ref": {
      const [dir] = resolveRef(candidate.location);
      return dir === undefined ? SKIP : { applies: true, dirs: [posix.join(dir, candidate.path)] };
    }
  }
}

/** Python's `expanduser` (and, for `all`, `expandvars`: unknown variables are left as written). */
function expand(value: string, mode: "none" | "user" | "all", ctx: ResolveContext): string {
  if (mode === "none") return value;
  let out = value;
  if (mode === "all") {
    out = out.replace(/\$(\w+)|\$\{([^}]+)\}/g, (whole, a: string | undefined, b: string | undefined) => {
      const name = a ?? b ?? "";
      return ctx.env[name] ?? whole;
    });
  }
  if (out === "~" || out.startsWith("~/")) out = ctx.home + out.slice(1);
  return out;
}

function absolutise(value: string, ctx: ResolveContext): string | undefined {
  if (value.startsWith("/")) return stripSlash(posix.normalize(value));
  if (ctx.cwd === undefined) return undefined;
  return stripSlash(posix.join(ctx.cwd, value));
}

function stripSlash(p: string): string {
  return p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
}
