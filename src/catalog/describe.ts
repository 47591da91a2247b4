import type { CacheLocation, Candidate, CatalogEntry } from "./types.js";

/**
 * Catalog entries as plain data for `mlpack catalog`: each location's candidates written the way a shell
 * user reads them (`$HF_HOME`, `${XDG_CACHE_HOME:-~/.cache}/huggingface`), in the order the library tries them.
 */
export interface DescribedLocation {
  key: string;
  role: "cache" | "noise" | "secret";
  /** Where the library looks; the first that applies wins, or every one of them when `searchAll`. */
  candidates: string[];
  searchAll: boolean;
  target: string | null;
  env: Record<string, string>;
  writable: boolean;
}

export interface DescribedEntry {
  id: string;
  library: string;
  origin: "built-in" | "mlpack.json";
  related: string[];
  locations: DescribedLocation[];
  staticEnv: Record<string, string>;
  writable: boolean;
  notes: string[];
}

const BASE_TEXT = {
  xdgCache: "${XDG_CACHE_HOME:-~/.cache}",
  xdgConfig: "${XDG_CONFIG_HOME:-~/.config}",
  xdgData: "${XDG_DATA_HOME:-~/.local/share}",
  tmpdir: "${TMPDIR:-/tmp}",
} as const;

/** One candidate as text. */
export function describeCandidate(c: Candidate): string {
  switch (c.kind) {
    case "env":
      return `$${c.name}${c.path ? `/${c.path}` : ""}${c.list ? " (a :-list)" : ""}`;
    case "home":
      return c.path === "" ? "~" : `~/${c.path}`;
    case "abs":
      return c.path;
    case "base":
      return `${BASE_TEXT[c.base]}/${c.path}`;
    case "ref":
      return `<${c.location}>/${c.path}`;
  }
}

function describeLocation(entry: CatalogEntry, l: CacheLocation): DescribedLocation {
  return {
    key: l.key,
    role: l.role ?? "cache",
    candidates: l.candidates.map(describeCandidate),
    searchAll: l.searchAll === true,
    target: l.target ?? null,
    env: { ...(l.env ?? {}) },
    writable: l.writable === true || entry.writable === true,
  };
}

export function describeEntry(entry: CatalogEntry, origin: DescribedEntry["origin"]): DescribedEntry {
  return {
    id: entry.id,
    library: entry.library,
    origin,
    related: [...entry.related],
    locations: entry.locations.map((l) => describeLocation(entry, l)),
    staticEnv: { ...(entry.staticEnv ?? {}) },
    writable: entry.writable === true,
    notes: [...entry.notes],
  };
}
