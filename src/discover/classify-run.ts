import { CATALOG, GLOBAL_RULES, NOISE_LOCATIONS } from "../catalog/index.js";
import { resolvePlaces } from "../catalog/resolve.js";
import type { CatalogEntry } from "../catalog/types.js";
import { UsageError } from "../errors.js";
import type { RunContext } from "../events.js";
import { escapeName, unsupportedName } from "../util/names.js";
import { type Classification, type ClassifyInput, classify, type UnknownCache } from "./classify.js";
import { ancestors, isInsideOrEqual, normalizePath, relativeTo } from "./classify-paths.js";
import { absoluteRules, firstSkip } from "./classify-rules.js";
import type { ChangedPath, IncludeRequest } from "./classify-types.js";
import type { CodeScanner } from "./code-scan.js";
import { includeArgument, type IncludeSpec, parseIncludeSpec, portablePath, resolveIncludePath, type RunPlaces } from "./include-spec.js";
import type { RunSession } from "./runner.js";

/**
 * Classifies one finished run (issue 18): resolves `--include` against the run's HOME and project, refuses
 * includes that are secrets or do not exist, classifies, asks the code scanner for the variables that move
 * the unknown folders, classifies again with its answers, and sizes every unknown folder, however small.
 */
export interface ClassifyRunOptions {
  session: RunSession;
  changes: readonly ChangedPath[];
  assetRoot: string;
  /** `--include` values as typed (`~/x[=VAR]`, `$HOME/x`, `/abs`, `rel`). */
  include: readonly string[];
  exclude: readonly string[];
  writable?: readonly string[];
  catalog?: readonly CatalogEntry[];
  /** The project folder as the run saw it: the container's workdir, or the host project for --runner local. */
  projectRoot?: string;
  /**
   * HOME of the shell that started mlpack: an unquoted `~/x` arrives expanded to it, and is taken as the
   * run's `~/x` when only that exists (with a warning).
   */
  hostHome?: string;
  scanner?: CodeScanner;
}

/** An unknown folder as reported: what `--include` would make of it, with its size. */
export interface UnknownReport extends Omit<UnknownCache, "include"> {
  kind: "folder" | "file";
  /** The `--include` value; null for a file (mlpack packages folders). */
  include: string | null;
  files: number;
  bytes: number;
}

export interface CodeScanSummary {
  where: string;
  available: boolean;
  reason?: string;
  files: number;
  hits: number;
  /** The scan stopped at its time limit. */
  truncated?: boolean;
}

export interface ClassifiedRun {
  found: Classification;
  unknown: UnknownReport[];
  /** Present when the code was scanned (or a scan was attempted). */
  scan?: CodeScanSummary;
}

export async function classifyRun(opts: ClassifyRunOptions, ctx: RunContext): Promise<ClassifiedRun> {
  const { session } = opts;
  const places: RunPlaces = { home: normalizePath(session.home), projectRoot: opts.projectRoot };
  const base: Omit<ClassifyInput, "include"> = {
    changes: opts.changes,
    env: session.env,
    home: session.home,
    assetRoot: opts.assetRoot,
    exclude: opts.exclude,
    ...(opts.projectRoot === undefined ? {} : { projectRoot: opts.projectRoot }),
    ...(opts.catalog === undefined ? {} : { catalog: opts.catalog }),
    ...(opts.writable === undefined ? {} : { writable: opts.writable }),
  };
  const specs = opts.include.map((raw) => parseIncludeSpec(raw));
  const exists = existence(opts.changes, session);
  // A new path that holds nothing new is a file or an empty folder; measuring tells them apart.
  const live = opts.changes.filter((c) => c.kind !== "deleted").map((c) => normalizePath(c.path));
  const changed = new Set(live);
  const holders = new Set(live.flatMap((p) => ancestors(p)));
  const isNewFile = async (path: string, files?: number) =>
    changed.has(path) && !holders.has(path) && (files ?? (await session.measure(path)).files) === 1;
  const includes: IncludeRequest[] = [];
  for (const spec of specs) {
    const path = await resolveSpec(spec, places, opts.hostHome, exists, ctx);
    refuseSecret(spec, path, opts);
    if (!(await exists(path))) {
      const plain = classify({ ...base, include: [], writable: [] });
      throw missingInclude(spec, path, places, plain, session.ephemeralHome);
    }
    if (await isNewFile(path)) {
      throw new UsageError(`--include ${escapeName(spec.raw)}: ${escapeName(portablePath(path, places))} is a file; mlpack packages folders`, {
        hint: "Include the folder the library keeps its files in (a file directly in HOME cannot be an asset of its own).",
      });
    }
    includes.push({ path, ...(spec.variable === undefined ? {} : { variable: spec.variable }) });
  }

  let found = classify({ ...base, include: includes });
  let scan: CodeScanSummary | undefined;
  if (found.scanRequests.length > 0 && opts.scanner) {
    const names = found.scanRequests.map((r) => r.name);
    ctx.emit({
      type: "step",
      message: `looking for the variables that move ${names.map((n) => escapeName(n)).join(", ")} in the Python code of ${opts.scanner.where}`,
    });
    const result = await opts.scanner.scan(found.scanRequests, session.env, ctx);
    scan = {
      where: opts.scanner.where,
      available: result.available,
      ...(result.reason === undefined ? {} : { reason: result.reason }),
      files: result.files,
      hits: result.hits.length,
      ...(result.truncated ? { truncated: true } : {}),
    };
    if (!result.available) {
      const needed = found.assets.filter((a) => a.relocation?.via === "home" || a.relocation?.via === "none");
      for (const a of needed) {
        ctx.emit({
          type: "warning",
          message: `could not look for the variable that moves ${escapeName(portablePath(a.source, places))} (${result.reason ?? "scan unavailable"}); name it with --include PATH=VAR if the library has one`,
        });
      }
    } else if (result.hits.length > 0) {
      found = classify({ ...base, include: includes, codeHits: result.hits });
    }
  }
  if (found.unmatchedWritable.length > 0) {
    const ids = found.assets.map((a) => a.id);
    throw new UsageError(`--writable ${found.unmatchedWritable.join(", ")}: no such asset in this run`, {
      hint: ids.length > 0 ? `Assets of this run: ${ids.join(", ")}.` : "This run found no assets.",
    });
  }

  const unknown: UnknownReport[] = [];
  for (const u of found.unknown) {
    const size = await measureUnknown(session, u.path);
    const file = await isNewFile(u.path, size.files);
    unknown.push({ ...u, kind: file ? "file" : "folder", include: file ? null : u.include, ...size });
  }
  return { found, unknown, ...(scan === undefined ? {} : { scan }) };
}

/**
 * What can be said about `--include` values before anything runs: their syntax, and whether they name a
 * credentials folder by name (`~/.aws`, `/root/.ssh`). Fails fast instead of after a long model run.
 */
export function precheckIncludes(values: readonly string[]): void {
  const rules = GLOBAL_RULES.filter((r) => r.kind === "secret").map((r) => ({ pattern: r.glob, kind: r.kind, reason: r.reason }));
  for (const raw of values) {
    const spec = parseIncludeSpec(raw);
    const places = { home: "/home", projectRoot: "/project" };
    const secret = firstSkip(rules, resolveIncludePath(spec.path, places));
    if (secret) throw secretInclude(spec, secret.reason, portablePath(secret.root, places));
  }
}

/** Whether a run path exists: it is in the diff (or holds a change), else the runner is asked. */
function existence(changes: readonly ChangedPath[], session: RunSession): (path: string) => Promise<boolean> {
  const known = new Set<string>();
  for (const c of changes) {
    if (c.kind === "deleted") continue;
    const p = normalizePath(c.path);
    known.add(p);
    for (const a of ancestors(p)) known.add(a);
  }
  return async (path) => {
    if (known.has(path)) return true;
    try {
      await session.measure(path);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  };
}

function isNotFound(error: unknown): boolean {
  const e = error as { code?: unknown; statusCode?: unknown };
  return e?.code === "ENOENT" || e?.code === "ENOTDIR" || e?.statusCode === 404;
}

async function resolveSpec(
  spec: IncludeSpec,
  places: RunPlaces,
  hostHome: string | undefined,
  exists: (path: string) => Promise<boolean>,
  ctx: RunContext,
): Promise<string> {
  const path = resolveIncludePath(spec.path, places);
  // `--include ~/x` without quotes reaches us as the host's /home/me/x; the run's HOME is elsewhere.
  const home = hostHome === undefined ? undefined : normalizePath(hostHome);
  if (spec.path.base !== "abs" || home === undefined || home === places.home || home === "/") return path;
  if (!isInsideOrEqual(path, home) || (await exists(path))) return path;
  const rel = relativeTo(home, path);
  const mapped = rel === "" ? places.home : `${places.home}/${rel}`;
  if (!(await exists(mapped))) return path;
  ctx.emit({
    type: "warning",
    message: `--include ${escapeName(spec.raw)}: taken as ~/${escapeName(rel)} in the run (HOME=${escapeName(places.home)}); quote it so the shell keeps the ~: ${includeArgument(`~/${rel}${spec.variable ? `=${spec.variable}` : ""}`)}`,
  });
  return mapped;
}

/** Including a credentials folder (or anything inside one) is refused outright, on both runners. */
function refuseSecret(spec: IncludeSpec, path: string, opts: ClassifyRunOptions): void {
  const places = resolvePlaces(opts.catalog ?? CATALOG, { env: opts.session.env, home: opts.session.home }, NOISE_LOCATIONS);
  const secret = firstSkip(
    absoluteRules(places, []).filter((r) => r.kind === "secret"),
    path,
  );
  if (secret) throw secretInclude(spec, secret.reason, secret.root);
}

function secretInclude(spec: IncludeSpec, reason: string, root: string): UsageError {
  return new UsageError(
    `--include ${escapeName(spec.raw)}: ${escapeName(root)} is a secret (${reason}); mlpack never packages credentials`,
    {
      code: "E_INCLUDE_SECRET",
      hint: "Include the cache folder itself, not a folder that holds credentials. Secret files below an included folder are skipped.",
    },
  );
}

function missingInclude(
  spec: IncludeSpec,
  path: string,
  places: RunPlaces,
  plain: Classification,
  ephemeralHome: boolean,
): UsageError {
  const wanted = portablePath(path, places);
  const candidates = [...new Set([...plain.unknownRoots, ...plain.assets.map((a) => a.source)])].map((p) =>
    portablePath(p, places),
  );
  const nearest = candidates
    .map((c) => ({ c, d: distance(c, wanted) }))
    .sort((a, b) => a.d - b.d || (a.c < b.c ? -1 : 1))
    .slice(0, 5)
    .map((x) => x.c);
  // The local runner's HOME is a throwaway folder of ours: "~" is all the user needs to know.
  const where = ephemeralHome ? "the run (HOME is a fresh folder)" : `the run (HOME=${escapeName(places.home)})`;
  return new UsageError(`--include ${escapeName(spec.raw)}: ${escapeName(wanted)} does not exist in ${where}`, {
    code: "E_PATH_NOT_FOUND",
    hint:
      nearest.length > 0
        ? `New folders of this run, nearest first: ${nearest.map((n) => escapeName(includeArgument(n))).join("  ")}`
        : "The command created no new folders; check that it downloads what you expect.",
    details: { path: wanted, nearest },
  });
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

/** Size of an unknown folder; a name the run's filesystem spells with bytes that are not UTF-8 is refused. */
async function measureUnknown(session: RunSession, path: string): Promise<{ files: number; bytes: number }> {
  try {
    return await session.measure(path);
  } catch (error) {
    // Such a name reaches us as U+FFFD (the Engine's changes list and the local walk spell it that way).
    if (path.includes("\uFFFD")) throw unsupportedName(path, "the run's filesystem");
    throw error;
  }
}
