/**
 * The shape of the cache catalog. Every fact about a library (where it caches, which variables move the
 * cache and in which order, what to set at runtime) is data of these types, so adding a library is adding
 * one file under `entries/` and the classifier never grows library-specific branches.
 * Facts come from `reference/cache-catalog.md`.
 */

/**
 * Shared search bases: `xdgCache` = `$XDG_CACHE_HOME` > `~/.cache`, `xdgConfig` and `xdgData` (`~/.local/share`)
 * likewise, `tmpdir` = Python's `tempfile.gettempdir()` order.
 */
export type BaseName = "xdgCache" | "xdgConfig" | "xdgData" | "tmpdir";

/**
 * One way a library may compute a directory. A location tries its candidates in order and the first one
 * that applies wins, mirroring `os.environ.get(A) or os.environ.get(B) or default` in the library.
 */
export type Candidate =
  /** `$name[/path]` when the variable is set and not empty. */
  | {
      kind: "env";
      name: string;
      path?: string;
      /** `user`: expand a leading `~` (the default); `all`: also `$VAR`/`${VAR}`; `none`: taken literally. */
      expand?: "none" | "user" | "all";
      /** The variable holds a list split on `:` (NLTK_DATA); only meaningful in a `searchAll` location. */
      list?: boolean;
      /** An empty value switches the cache off rather than falling through (tiktoken). */
      emptyDisables?: boolean;
    }
  /** `~/path`, with `~` the run's HOME. */
  | { kind: "home"; path: string }
  /** A fixed absolute path. */
  | { kind: "abs"; path: string }
  /** A path under one of the shared bases. */
  | { kind: "base"; base: BaseName; path: string }
  /** A path relative to another location's resolved directory: `"<entry id>.<location key>"`. */
  | { kind: "ref"; location: string; path: string };

/** Whether files under a location are packaged, skipped as noise, or skipped and reported as secrets. */
export type LocationRole = "cache" | "noise" | "secret";

/** A skip rule scoped to a location: `glob` is relative to the location's directory (`*`, `**`, `?`). */
export interface ScopedRule {
  glob: string;
  kind: "noise" | "secret";
  reason: string;
}

/** A directory a library reads or writes, with everything needed to package and re-point it. */
export interface CacheLocation {
  /** Unique within the entry; the first location of an entry is its primary one. */
  key: string;
  role?: LocationRole;
  /** For role noise/secret: why it is skipped. */
  reason?: string;
  candidates: readonly Candidate[];
  /** Every candidate is a place the cache may be (a search path, as nltk has), not first-wins. */
  searchAll?: boolean;
  /** Directory under the asset root when this location is packaged as an asset of its own. */
  target?: string;
  /**
   * Runtime ENV that points the library at this location once baked. Templates: `{dir}` = the location's
   * absolute path in the image, `{parent}` = its parent directory. Emitted when the location is packaged.
   */
  env?: Readonly<Record<string, string>>;
  /** Emit `env` whenever the enclosing asset is packaged, even if nothing was written here (HF_HUB_CACHE). */
  emitAlways?: boolean;
  /** May hold Hugging Face repo folders (`models--org--name`) directly: one layer per repo. */
  hfRepos?: boolean;
  /** When this location lies inside the named one (`"<entry>.<key>"`), package that one instead. */
  packageWith?: string;
  rules?: readonly ScopedRule[];
  /**
   * The library writes into this directory even when everything it needs is cached (a lock file, a
   * writability probe, unpacking next to the download): the final image gives it a writable view under /tmp.
   */
  writable?: boolean;
}

/** One library (or family of libraries sharing a cache). */
export interface CatalogEntry {
  /** Stable id, also the asset id of the primary location. */
  id: string;
  /** Display name of the library as users know it. */
  library: string;
  /** Libraries that write into the same cache. */
  related: readonly string[];
  locations: readonly CacheLocation[];
  /** ENV emitted with any asset this entry contributes to: offline switches, `/tmp` redirects. */
  staticEnv?: Readonly<Record<string, string>>;
  /** Code changes or caveats for a read-only, offline image. `{dir}` is replaced by the baked path. */
  notes: readonly string[];
  /** Every location of the entry is `writable` (see CacheLocation.writable). */
  writable?: boolean;
}
