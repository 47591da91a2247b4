import { posix } from "node:path";
import { CATALOG } from "../catalog/index.js";
import type { Place } from "../catalog/resolve.js";
import type { CatalogEntry } from "../catalog/types.js";
import { byCodeUnit, isInsideOrEqual, isStrictlyInside, relativeTo } from "./classify-paths.js";
import { assetRules } from "./classify-rules.js";
import type { PlannedAsset } from "./classify-types.js";

/**
 * Turns cache hits into planned assets. A hit inside a location that declares `packageWith` is packaged
 * with that outer location (HF hub inside HF_HOME); hits nested in another hit's directory are merged
 * into it, so no file is ever in two assets.
 */

/** A leaf change found inside a catalog location; `dir` is the location's concrete directory. */
export interface Hit {
  place: Place;
  dir: string;
  leaf: string;
}

interface Group {
  place: Place;
  dir: string;
  hits: Hit[];
}

const REPO_FOLDER = /^(models|datasets|spaces|kernels)--/;

/** Plans one asset per top-most cache directory written in the run. */
export function planCatalogAssets(
  hits: readonly Hit[],
  places: readonly Place[],
  assetRoot: string,
  exclude: readonly string[],
  ctx: { home: string },
): PlannedAsset[] {
  const groups = groupHits(hits, places);
  const perEntry = new Map<string, number>();
  for (const g of groups) perEntry.set(entryOf(g.place).id, (perEntry.get(entryOf(g.place).id) ?? 0) + 1);

  const named = groups
    .map((g) => ({ g, ...baseName(g, perEntry) }))
    .sort((a, b) => byCodeUnit(a.id, b.id) || byCodeUnit(a.g.dir, b.g.dir));
  const taken = new Set<string>();
  const assets: PlannedAsset[] = [];
  for (const { g, id, target } of named) {
    let n = 1;
    let suffix = "";
    while (taken.has(id + suffix)) suffix = `-${++n}`;
    taken.add(id + suffix);
    assets.push(buildAsset(g, id + suffix, target + suffix, places, assetRoot, exclude, ctx));
  }
  return joinListEnv(assets);
}

function entryOf(place: Place): CatalogEntry {
  // Hits only come from catalog locations, which always have an entry.
  return place.entry as CatalogEntry;
}

function groupHits(hits: readonly Hit[], places: readonly Place[]): Group[] {
  const promoted = hits.map((hit) => ({ hit, ...promote(hit.place, hit.dir, places) }));
  promoted.sort((a, b) => a.dir.length - b.dir.length || byCodeUnit(a.dir, b.dir));
  const groups: Group[] = [];
  for (const p of promoted) {
    const group = groups.find((g) => isInsideOrEqual(p.dir, g.dir));
    if (group) group.hits.push(p.hit);
    else groups.push({ place: p.place, dir: p.dir, hits: [p.hit] });
  }
  return groups;
}

function promote(place: Place, dir: string, places: readonly Place[]): { place: Place; dir: string } {
  let cur = { place, dir };
  for (let i = 0; i < 8 && cur.place.location.packageWith; i++) {
    const outerId = cur.place.location.packageWith;
    const outer = places.find((p) => p.locationId === outerId && !p.dir.includes("*"));
    if (!outer || !isInsideOrEqual(cur.dir, outer.dir)) break;
    cur = { place: outer, dir: outer.dir };
  }
  return cur;
}

function baseName(g: Group, perEntry: ReadonlyMap<string, number>): { id: string; target: string } {
  const entry = entryOf(g.place);
  const primary = entry.locations[0];
  const target = g.place.location.target ?? entry.id;
  const isPrimary = g.place.location === primary || target === primary?.target;
  // The only asset of an entry takes the entry id even when it is a secondary location (HF_HUB_CACHE alone).
  const id = isPrimary || perEntry.get(entry.id) === 1 ? entry.id : `${entry.id}-${g.place.location.key}`;
  return { id, target };
}

function buildAsset(
  g: Group,
  id: string,
  target: string,
  places: readonly Place[],
  assetRoot: string,
  exclude: readonly string[],
  ctx: { home: string },
): PlannedAsset {
  const entry = entryOf(g.place);
  const imageDir = posix.join(assetRoot, target);
  const inImage = (dir: string) => posix.join(imageDir, relativeTo(g.dir, dir));
  const env: Record<string, string> = {};
  const put = (templates: Readonly<Record<string, string>> | undefined, dir: string) => {
    for (const [k, v] of Object.entries(templates ?? {})) if (!(k in env)) env[k] = fill(v, dir);
  };

  put(g.place.location.env, imageDir);
  for (const { place, dir } of nestedLocations(g, places)) put(place.location.env, inImage(dir));
  const contributing = [...new Set([entry, ...g.hits.map((h) => entryOf(h.place))])];
  for (const e of contributing) put(e.staticEnv, imageDir);

  const notes: string[] = [];
  for (const e of contributing) {
    const hit = e === entry ? undefined : g.hits.find((h) => entryOf(h.place) === e);
    const dir = hit ? inImage(hit.dir) : imageDir;
    for (const note of e.notes) {
      const text = fill(note, dir);
      if (!notes.includes(text)) notes.push(text);
    }
  }

  const hubDir = findHubDir(g, places);
  const writable =
    contributing.some((e) => e.writable === true) ||
    [g.place, ...g.hits.map((h) => h.place)].some((p) => p.location.writable === true);
  // A library no variable moves (insightface, gpt4all, a user entry without env) finds the folder at the same
  // path under HOME: the image links it there at start.
  const home = Object.keys(g.place.location.env ?? {}).length === 0 ? homeRelative(g.dir, ctx.home) : undefined;
  return {
    id,
    library: entry.id,
    source: g.dir,
    target,
    env,
    layering: hubDir === undefined ? "single" : "hf-repos",
    ...(hubDir === undefined ? {} : { hubDir }),
    notes,
    skipRules: assetRules(g.dir, places, exclude),
    writable,
    ...(home === undefined ? {} : { home }),
  };
}

function homeRelative(dir: string, home: string): string | undefined {
  return isStrictlyInside(dir, home) ? relativeTo(home, dir) : undefined;
}

/** Locations inside the asset other than its own: those written to, and same-entry `emitAlways` ones. */
function nestedLocations(g: Group, places: readonly Place[]): { place: Place; dir: string }[] {
  const out: { place: Place; dir: string }[] = [];
  const add = (place: Place, dir: string) => {
    if (place === g.place && dir === g.dir) return;
    if (!out.some((o) => o.place === place && o.dir === dir)) out.push({ place, dir });
  };
  for (const h of g.hits) add(h.place, h.dir);
  for (const p of places) {
    const always = p.location.emitAlways && p.entry === g.place.entry && !p.dir.includes("*");
    if (always && (p.location.role ?? "cache") === "cache" && isInsideOrEqual(p.dir, g.dir)) add(p, p.dir);
  }
  return out.sort((a, b) => a.dir.length - b.dir.length || byCodeUnit(a.dir, b.dir));
}

/** Where HF repo folders sit in this asset, when a location that may hold them actually does. */
function findHubDir(g: Group, places: readonly Place[]): string | undefined {
  const dirs = [
    ...(g.place.location.hfRepos ? [g.dir] : []),
    ...nestedLocations(g, places)
      .filter((n) => n.place.location.hfRepos)
      .map((n) => n.dir),
  ].sort((a, b) => a.length - b.length);
  for (const dir of dirs) {
    const holdsRepo = g.hits.some((h) => {
      if (!isStrictlyInside(h.leaf, dir)) return false;
      const first = relativeTo(dir, h.leaf).split("/")[0] ?? "";
      return REPO_FOLDER.test(first);
    });
    if (holdsRepo) return relativeTo(g.dir, dir);
  }
  return undefined;
}

function fill(template: string, dir: string): string {
  return template.replaceAll("{dir}", dir).replaceAll("{parent}", posix.dirname(dir));
}

/**
 * A library that reads a `:`-separated search list (NLTK_DATA) and was found in several places gets all
 * of them in every one of its assets, so the merged Dockerfile ENV is consistent.
 */
function joinListEnv(assets: PlannedAsset[]): PlannedAsset[] {
  const byLibrary = new Map<string, PlannedAsset[]>();
  for (const a of assets) byLibrary.set(a.library, [...(byLibrary.get(a.library) ?? []), a]);
  for (const group of byLibrary.values()) {
    if (group.length < 2) continue;
    for (const name of LIST_VARS) {
      const values = group.map((a) => a.env[name]).filter((v): v is string => v !== undefined);
      if (values.length < 2) continue;
      for (const a of group) if (a.env[name] !== undefined) a.env[name] = values.join(":");
    }
  }
  return assets;
}

/** Variables the catalog marks as search lists. */
const LIST_VARS: readonly string[] = CATALOG.flatMap((e) =>
  e.locations.flatMap((l) => l.candidates.flatMap((c) => (c.kind === "env" && c.list ? [c.name] : []))),
);
