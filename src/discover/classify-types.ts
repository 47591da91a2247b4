import type { SkipRule } from "./classify-rules.js";

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
  /** Absolute directories to package even though no catalog entry knows them. */
  include: readonly string[];
  /** Globs on absolute paths (`*`, `**`, `?`) never packaged. */
  exclude: readonly string[];
  /** Working directory of the command, for relative variable values (optional). */
  cwd?: string;
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
}

/** The result of classifying one run. */
export interface Classification {
  /** Sorted by id. */
  assets: PlannedAsset[];
  /** Top-most added paths outside every cache, noise, secret and system path; the caller sizes them. */
  unknownRoots: string[];
  /** Noise, secrets and excluded paths, collapsed to the top-most path per subtree, sorted by path. */
  skipped: { path: string; reason: string }[];
  /** Secret paths found (top-most per subtree, sorted); the caller names them in a warning. */
  secrets: string[];
}
