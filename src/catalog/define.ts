import type { BaseName, Candidate, CatalogEntry } from "./types.js";

/**
 * Small constructors so catalog entries read like the precedence tables in the reference:
 * `[env("HF_HOME"), xdgCache("huggingface")]` is "HF_HOME > $XDG_CACHE_HOME/huggingface > ~/.cache/huggingface".
 */

/** `$name[/path]` if set and non-empty. */
export function env(
  name: string,
  options: Omit<Extract<Candidate, { kind: "env" }>, "kind" | "name"> = {},
): Candidate {
  return { kind: "env", name, ...options };
}

/** `~/path`. */
export function home(path: string): Candidate {
  return { kind: "home", path };
}

/** A fixed absolute path. */
export function abs(path: string): Candidate {
  return { kind: "abs", path };
}

function base(name: BaseName, path: string): Candidate {
  return { kind: "base", base: name, path };
}

/** `${XDG_CACHE_HOME:-~/.cache}/path`. */
export function xdgCache(path: string): Candidate {
  return base("xdgCache", path);
}

/** `${XDG_CONFIG_HOME:-~/.config}/path`. */
export function xdgConfig(path: string): Candidate {
  return base("xdgConfig", path);
}

/** `${XDG_DATA_HOME:-~/.local/share}/path` (platformdirs' `user_data_dir`). */
export function xdgData(path: string): Candidate {
  return base("xdgData", path);
}

/** `<tempfile.gettempdir()>/path`. */
export function tmpdir(path: string): Candidate {
  return base("tmpdir", path);
}

/** `path` under another location's resolved directory, named `"<entry>.<key>"`. */
export function ref(location: string, path: string): Candidate {
  return { kind: "ref", location, path };
}

/** Identity helper that type-checks an entry at its definition site. */
export function defineEntry(entry: CatalogEntry): CatalogEntry {
  return entry;
}

/** How the shared bases resolve; data, so tests and `isolatedEnv` can read the variable names. */
export const BASES: Readonly<Record<BaseName, readonly Candidate[]>> = {
  xdgCache: [env("XDG_CACHE_HOME"), home(".cache")],
  xdgConfig: [env("XDG_CONFIG_HOME"), home(".config")],
  xdgData: [env("XDG_DATA_HOME"), home(".local/share")],
  // tempfile.gettempdir(): TMPDIR > TEMP > TMP > /tmp.
  tmpdir: [env("TMPDIR"), env("TEMP"), env("TMP"), abs("/tmp")],
};
