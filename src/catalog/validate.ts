import type { CatalogEntry } from "./types.js";

/**
 * The structural rules every catalog entry obeys, built-in or from mlpack.json: unique location keys,
 * packaged locations with a relative target, noise/secret ones with a reason, runtime ENV templated on the
 * location (`{dir}`/`{parent}`), static ENV literal, variable names that a Dockerfile accepts, references to
 * locations that exist. `known` holds every `"<entry>.<key>"` of the catalog the entry is part of.
 */
export interface EntryProblem {
  /** Where, relative to the entry: "locations.0.target". */
  key: string;
  message: string;
}

const TARGET = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

export function entryProblems(entry: CatalogEntry, known: ReadonlySet<string>): EntryProblem[] {
  const out: EntryProblem[] = [];
  const keys = new Set<string>();
  entry.locations.forEach((loc, i) => {
    const at = `locations.${i}`;
    if (keys.has(loc.key)) out.push({ key: `${at}.key`, message: `duplicate location key "${loc.key}"` });
    keys.add(loc.key);
    if ((loc.role ?? "cache") === "cache") {
      if (loc.target === undefined || !TARGET.test(loc.target) || loc.target.split("/").some((s) => s === "." || s === "..")) {
        out.push({ key: `${at}.target`, message: "a packaged location needs a relative target (no ., .., leading /)" });
      }
    } else if (!loc.reason) {
      out.push({ key: `${at}.reason`, message: "a noise or secret location needs a reason" });
    }
    for (const [k, v] of Object.entries(loc.env ?? {})) {
      if (!ENV_NAME.test(k)) out.push({ key: `${at}.env.${k}`, message: "not a variable name" });
      if (!/\{dir\}|\{parent\}/.test(v)) out.push({ key: `${at}.env.${k}`, message: "must use {dir} or {parent}" });
      if (CONTROL.test(v)) out.push({ key: `${at}.env.${k}`, message: "control characters" });
    }
    for (const c of loc.candidates) {
      if (c.kind === "ref" && !known.has(c.location)) {
        out.push({ key: `${at}.candidates`, message: `unknown location ${c.location}` });
      }
    }
    if (loc.packageWith && !known.has(loc.packageWith)) {
      out.push({ key: `${at}.packageWith`, message: `unknown location ${loc.packageWith}` });
    }
  });
  for (const [k, v] of Object.entries(entry.staticEnv ?? {})) {
    if (!ENV_NAME.test(k)) out.push({ key: `staticEnv.${k}`, message: "not a variable name" });
    if (/\{/.test(v) || CONTROL.test(v)) out.push({ key: `staticEnv.${k}`, message: "must be a literal value" });
  }
  if (entry.notes.length + entry.locations.length === 0) out.push({ key: "notes", message: "an entry needs a location or a note" });
  return out;
}

/** Every `"<entry>.<key>"` of a catalog, for `entryProblems`. */
export function locationIds(entries: readonly CatalogEntry[]): Set<string> {
  return new Set(entries.flatMap((e) => e.locations.map((l) => `${e.id}.${l.key}`)));
}
