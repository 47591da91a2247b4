import { CATALOG, GLOBAL_RULES, NOISE_LOCATIONS, SYSTEM_PATHS } from "../catalog/index.js";
import { type Place, resolvePlaces } from "../catalog/resolve.js";
import { type Hit, planCatalogAssets } from "./classify-assets.js";
import { hitsFor, planIncludeAssets } from "./classify-include.js";
import {
  ancestors,
  byCodeUnit,
  concreteDirFor,
  isInsideOrEqual,
  literalPrefix,
  normalizePath,
  topMost,
} from "./classify-paths.js";
import { absoluteRules, describeSkip, type SkipKind, skipMatcher } from "./classify-rules.js";
import type { ChangedPath, Classification, ClassifyInput, PlannedAsset, UnknownCache } from "./classify-types.js";
import { includeValue, type RunPlaces } from "./include-spec.js";
import { type CodeHit, relocate, type ScanRequest, scanTarget, xdgBases } from "./relocate.js";

export { stagingFilter } from "./classify-filter.js";
export { isolatedEnv } from "./classify-isolate.js";
export type { SkipRule } from "./classify-rules.js";
export type {
  ChangedPath,
  Classification,
  ClassifyInput,
  IncludeRequest,
  PlannedAsset,
  UnknownCache,
} from "./classify-types.js";

/**
 * Classifies one run's filesystem changes against the cache catalog (DESIGN §2 discover). Pure: every
 * location is resolved with the run's own environment, so `HF_HOME=/models/hf` in the image moves the
 * Hugging Face cache exactly as it moved it for the library. Only leaf changes count (a "changed" parent
 * directory alone never creates an asset); deleted paths are ignored.
 */
export function classify(input: ClassifyInput): Classification {
  const ctx = { env: input.env, home: normalizePath(input.home), cwd: input.cwd };
  const places = resolvePlaces(input.catalog ?? CATALOG, ctx, NOISE_LOCATIONS);
  const cachePlaces = places
    .filter((p) => (p.location.role ?? "cache") === "cache")
    .map((place) => ({ place, prefix: literalPrefix(place.dir) }));
  const rules = absoluteRules(places, input.exclude);
  const skipOf = skipMatcher(rules);
  const secretOf = skipMatcher(rules.filter((r) => r.kind === "secret"));
  // Skips by name alone (`.netrc`, `__pycache__`) do not stop an unknown folder from being reported whole:
  // including it is safe, the staging filter drops them again.
  const byName = skipMatcher(GLOBAL_RULES.map((r) => ({ pattern: r.glob, kind: r.kind, reason: r.reason })));
  // The local runner's home lives under /tmp: a system prefix holding HOME is not a system path there.
  const systemPaths = SYSTEM_PATHS.filter((s) => !isInsideOrEqual(ctx.home, s));
  const includes = input.include.map((inc) => ({ ...inc, path: normalizePath(inc.path) }));
  const includePaths = includes.map((inc) => inc.path);
  const runPlaces: RunPlaces = {
    home: ctx.home,
    projectRoot: input.projectRoot === undefined ? undefined : normalizePath(input.projectRoot),
  };
  const hits = groupHits(input.codeHits ?? []);

  const changes = liveChanges(input.changes);
  const kinds = new Map(changes.map((c) => [c.path, c.kind]));
  const parents = new Set(changes.flatMap((c) => ancestors(c.path)));

  const skipped = new Map<string, { kind: SkipKind; reason: string }>();
  const nameOnly = new Set<string>();
  const secrets = new Set<string>();
  const cacheHits: Hit[] = [];
  const unknownLeaves: string[] = [];

  for (const { path } of changes) {
    const place = deepestPlace(cachePlaces, path);
    if (!place && systemPaths.some((s) => isInsideOrEqual(path, s))) continue;
    const secret = secretOf(path);
    if (secret) secrets.add(secret.root);
    const skip = skipOf(path);
    if (skip) {
      if (!skipped.has(skip.root)) skipped.set(skip.root, { kind: skip.kind, reason: skip.reason });
      if (byName(path)?.root === skip.root) nameOnly.add(skip.root);
      continue;
    }
    if (parents.has(path)) continue;
    if (place) cacheHits.push({ place: place.place, dir: place.dir, leaf: path });
    else if (!includePaths.some((dir) => isInsideOrEqual(path, dir))) unknownLeaves.push(path);
  }

  const catalogAssets = planCatalogAssets(cacheHits, places, input.assetRoot, input.exclude, { home: ctx.home });
  const includeCtx = { places: runPlaces, env: input.env, assetRoot: input.assetRoot, exclude: input.exclude, hits };
  const planned: PlannedAsset[] = [
    ...catalogAssets,
    ...planIncludeAssets(includes, catalogAssets, places, includeCtx),
  ].sort((a, b) => byCodeUnit(a.id, b.id));
  const writable = new Set(input.writable ?? []);
  const assets = planned.map((a) => (writable.has(a.id) ? { ...a, writable: true } : a));

  const claimed = [
    ...places.map((p) => literalPrefix(p.dir)),
    ...[...skipped.keys()].filter((p) => !nameOnly.has(p)),
    ...includePaths,
    ...assets.map((a) => a.source),
  ];
  const blocked = new Set(claimed.flatMap((p) => [p, ...ancestors(p)]));
  const roots = unknownLeaves.map((leaf) => unknownRoot(leaf, kinds, blocked)).filter((r) => r !== undefined);
  const unknownRoots = topMost(roots);
  const taken = new Set(assets.map((a) => a.target));
  const unknown: UnknownCache[] = unknownRoots.map((root) => {
    const { relocation } = relocate({
      root,
      places: runPlaces,
      env: input.env,
      assetRoot: input.assetRoot,
      hits: hitsFor(root, includeCtx),
      taken,
    });
    const variable = relocation.via === "code" ? relocation.variable : undefined;
    return { path: root, include: includeValue(root, runPlaces, variable), relocation };
  });

  const bases = xdgBases(input.env, ctx.home);
  const toScan = [
    ...unknownRoots,
    ...assets.filter((a) => a.library === "include" && !includes.some((i) => i.path === a.source && i.variable)).map((a) => a.source),
  ];
  const scanRequests = new Map<string, ScanRequest>();
  for (const root of toScan) {
    const scan = scanTarget(root, runPlaces, bases);
    if (scan) scanRequests.set(`${scan.request.match}\0${scan.request.name}`, scan.request);
  }

  const skippedRoots = topMost(skipped.keys());
  return {
    assets,
    unknownRoots,
    unknown,
    scanRequests: [...scanRequests.values()].sort((a, b) => byCodeUnit(a.name, b.name) || byCodeUnit(a.match, b.match)),
    unmatchedWritable: [...writable].filter((id) => !assets.some((a) => a.id === id)).sort(),
    skipped: skippedRoots.map((path) => ({
      path,
      reason: describeSkip(skipped.get(path) as { kind: SkipKind; reason: string }),
    })),
    secrets: topMost(secrets),
  };
}

function groupHits(hits: readonly CodeHit[]): Map<string, CodeHit[]> {
  const out = new Map<string, CodeHit[]>();
  for (const hit of hits) out.set(hit.name, [...(out.get(hit.name) ?? []), hit]);
  return out;
}

function liveChanges(changes: readonly ChangedPath[]): ChangedPath[] {
  const out = new Map<string, ChangedPath>();
  for (const c of changes) {
    if (c.kind === "deleted") continue;
    const path = normalizePath(c.path);
    if (path === "/") continue;
    out.set(path, { path, kind: c.kind });
  }
  return [...out.values()];
}

/** The most specific catalog location the path lies strictly inside, with its concrete directory. */
function deepestPlace(
  places: readonly { place: Place; prefix: string }[],
  path: string,
): { place: Place; dir: string } | undefined {
  let best: { place: Place; dir: string } | undefined;
  for (const { place, prefix } of places) {
    // Cheap literal test first: most paths of a diff are nowhere near a cache.
    if (!path.startsWith(prefix)) continue;
    const dir = concreteDirFor(place.dir, path);
    if (dir !== undefined && (best === undefined || dir.length > best.dir.length)) best = { place, dir };
  }
  return best;
}

/** Climbs from an unknown leaf through added directories that hold nothing classified. */
function unknownRoot(
  leaf: string,
  kinds: ReadonlyMap<string, string>,
  blocked: ReadonlySet<string>,
): string | undefined {
  let root: string | undefined;
  let cur = leaf;
  while (cur !== "/" && kinds.get(cur) === "added" && !blocked.has(cur)) {
    root = cur;
    cur = ancestors(cur)[0] ?? "/";
  }
  return root;
}
