import type { CatalogEntry } from "../catalog/types.js";
import type { SkipRule } from "./classify-rules.js";
import type { CodeHit, Relocation, ScanRequest } from "./relocate.js";

/** One entry of a filesystem diff (Engine API `/containers/{id}/changes` or the local runner's home diff). */
export interface ChangedPath {
  /** Absolute POSIX path. */
  path: string;
  kind: "added" | "changed" | "deleted";
}

/** Everything `classify` needs; all of it is data about one finished run. */
export interface ClassifyInput {
  changes: readonly ChangedPath[];
  /** Environment the command ran with (image env + user --env); may move caches (HF_HOME, XDG_CACHE_HOME, …). */
  env: Readonly<Record<string, string>>;
  /** Resolved HOME of the run, e.g. "/root". */
  home: string;
  /** Asset root in the image, e.g. "/cache". */
  assetRoot: string;
  /** Directories to package even though no catalog entry knows them (`--include`, resolved). */
  include: readonly IncludeRequest[];
  /** Globs on absolute paths (`*`, `**`, `?`) never packaged. */
  exclude: readonly string[];
  /** Working directory of the command, for relative variable values (optional). */
  cwd?: string;
  /** The project folder as the run saw it, so include ids below it are project-relative. */
  projectRoot?: string;
  /** The catalog to classify against: built-in plus mlpack.json's entries (default: built-in). */
  catalog?: readonly CatalogEntry[];
  /** What the code scan found for the names in a previous pass's `scanRequests`. */
  codeHits?: readonly CodeHit[];
  /** Asset ids that get a writable view (`--writable`). */
  writable?: readonly string[];
}

/** One `--include` folder, as an absolute path of the run. */
export interface IncludeRequest {
  path: string;
  /** `=VAR`: the variable that moves it. */
  variable?: string;
}

/** A cache found in the run, ready to be exported, baked and re-pointed. */
export interface PlannedAsset {
  /** Unique and stable: "huggingface", "nltk", "torch", …; `--include` dirs get "include-<slug>". */
  id: string;
  /** Catalog entry id ("include" for `--include` dirs). */
  library: string;
  /** Absolute directory where the cache lives in that run. */
  source: string;
  /** Directory relative to the asset root. */
  target: string;
  /** Runtime ENV for this asset, offline switches and /tmp redirects included; paths absolute in the image. */
  env: Record<string, string>;
  /** `hf-repos`: one layer per hub repo folder (`models--org--name`, …) found under `hubDir`. */
  layering: "single" | "hf-repos";
  /** For `hf-repos`: where the repo folders are, relative to `source` ("" = the source itself). */
  hubDir?: string;
  /** Code-change advice from the catalog. */
  notes: string[];
  /** What `stagingFilter` skips inside this asset besides the global noise/secret names. */
  skipRules: SkipRule[];
  /** The library writes into the folder even on a cache hit: the image gives it a writable view under /tmp. */
  writable: boolean;
  /** Path relative to HOME where the library expects the folder when no variable moves it. */
  home?: string;
  /** For `--include` folders: how the variable was chosen. */
  relocation?: Relocation;
}

/** A new folder nothing claims, with the `--include` value that would package it. */
export interface UnknownCache {
  path: string;
  /** `~/x`, `./x` or `/abs`, with `=VAR` when the code scan found the variable. */
  include: string;
  relocation: Relocation;
}

/** The result of classifying one run. */
export interface Classification {
  /** Sorted by id. */
  assets: PlannedAsset[];
  /** Top-most added paths outside every cache, noise, secret and system path; the caller sizes them. */
  unknownRoots: string[];
  /** The same roots with what `--include` would make of them. */
  unknown: UnknownCache[];
  /** Folder names worth looking up in the image's code (includes without `=VAR`, unknown roots), sorted. */
  scanRequests: ScanRequest[];
  /** `writable` ids that are no asset of this run. */
  unmatchedWritable: string[];
  /** Noise, secrets and excluded paths, collapsed to the top-most path per subtree, sorted by path. */
  skipped: { path: string; reason: string }[];
  /** Secret paths found (top-most per subtree, sorted); the caller names them in a warning. */
  secrets: string[];
}
