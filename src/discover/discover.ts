import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { join, posix } from "node:path";
import { getEntry } from "../catalog/index.js";
import type { CatalogEntry } from "../catalog/types.js";
import { throwIfAborted, UsageError } from "../errors.js";
import type { RunContext } from "../events.js";
import type { Lock, LockAsset } from "../lock/lock.js";
import { writeStageStamps } from "../lock/stage-stamp.js";
import { digestTree } from "../lock/tree-digest.js";
import { OLD_PREFIX, STAGING_PREFIX } from "../state/work-dir.js";
import { type PlannedAsset, stagingFilter } from "./classify.js";
import { isInsideOrEqual } from "./classify-paths.js";
import { fsError, isNoSpace } from "../util/fs-errors.js";
import { escapeName } from "../util/names.js";
import { type CodeScanSummary, classifyRun, precheckIncludes, type UnknownReport } from "./classify-run.js";
import type { CodeScanner } from "./code-scan.js";
import type { Relocation } from "./relocate.js";
import type { ExportStats, Runner, RunSession } from "./runner.js";

export interface DiscoverOptions {
  runner: Runner;
  command: string[];
  projectDir: string;
  env: Record<string, string>;
  timeoutSec: number;
  /** `--include` values as typed: `~/x[=VAR]`, `$HOME/x`, an absolute path, or project-relative. */
  include: string[];
  exclude: string[];
  /** Asset ids that get a writable view (`--writable`). */
  writable?: string[];
  /** Built-in plus mlpack.json catalog entries (default: built-in). */
  catalog?: readonly CatalogEntry[];
  /** The project folder as the run sees it (the container's workdir; the project itself for --runner local). */
  projectRoot?: string;
  /** HOME of the invoking shell, to undo an unquoted `~` the shell expanded. */
  hostHome?: string;
  /** Looks up the variables that move unknown caches in the run's Python code. */
  scanner?: CodeScanner;
  assetRoot: string;
  /** Where staged trees go (`.mlpack/assets`). */
  stageDir: string;
  /**
   * Whether to publish the staged trees for the lock that was found (default: yes). `--check` publishes only
   * when nothing drifted, so a later bundle uses exactly the trees the committed lock describes.
   */
  accept?: (lock: Lock) => boolean;
}

export interface DiscoveredAsset extends LockAsset {
  notes: string[];
  stagedPath: string;
  /** For `--include` folders: how the variable that moves it was chosen. */
  relocation?: Relocation;
}

export interface DiscoverResult {
  lock: Lock;
  assets: DiscoveredAsset[];
  /** Every new folder nothing claims, however small, with the `--include` value that packages it. */
  unclassified: UnknownReport[];
  secrets: string[];
  /** The code scan for relocation variables, when one ran. */
  scan?: CodeScanSummary;
  /** Whether the staged trees replaced `.mlpack/assets` (see `accept`). */
  published: boolean;
  /** The container kept for inspection (`--keep`), or null. */
  keptContainer: string | null;
}

/**
 * Runs the command once, classifies what it wrote against the catalog, and stages each asset's tree.
 * Staging is all-or-nothing per asset: a tree is exported to a temp dir and renamed into place only when
 * complete, so an interrupted discover never leaves a half-copied asset that bundle would trust.
 */
export async function discover(opts: DiscoverOptions, ctx: RunContext): Promise<DiscoverResult> {
  checkTimeout(opts.timeoutSec);
  precheckIncludes(opts.include);
  const session = await opts.runner.run(
    { command: opts.command, projectDir: opts.projectDir, env: opts.env, timeoutSec: opts.timeoutSec },
    ctx,
  );
  // Closed as soon as staging is done, so removing a container with GBs in its writable layer overlaps with
  // publishing; `finally` closes it on every other path.
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= session.close());
  try {
    const changes = await session.changes();
    const { found, unknown, scan } = await classifyRun(
      {
        session,
        changes,
        assetRoot: opts.assetRoot,
        include: opts.include,
        exclude: opts.exclude,
        ...(opts.writable ? { writable: opts.writable } : {}),
        ...(opts.catalog ? { catalog: opts.catalog } : {}),
        ...(opts.projectRoot ? { projectRoot: opts.projectRoot } : {}),
        ...(opts.hostHome ? { hostHome: opts.hostHome } : {}),
        ...(opts.scanner ? { scanner: opts.scanner } : {}),
      },
      ctx,
    );
    const show = (path: string) => displayPath(path, session, opts.projectRoot);
    for (const secret of found.secrets) {
      ctx.emit({ type: "warning", message: `not packaging a secret: ${show(secret)}`, path: secret });
    }
    refuseProjectInAsset(found.assets, session);
    const unclassified = unknown.map((u) => ({ ...u, path: show(u.path) }));
    const scratch = join(opts.stageDir, `${STAGING_PREFIX}${process.pid}-${Date.now()}`);
    try {
      const assets = await stageAll(found.assets, session, opts, scratch, ctx, found.secrets);
      const closed = close();
      const lock: Lock = {
        schemaVersion: 1,
        runner: opts.runner.kind,
        image: opts.runner.image,
        command: opts.command,
        assetRoot: opts.assetRoot,
        // Notes of built-in entries come from the catalog when the Dockerfile is written; others travel in the lock.
        assets: assets.map(({ notes, stagedPath: _s, relocation: _r, ...asset }) =>
          getEntry(asset.library) || notes.length === 0 ? asset : { ...asset, notes },
        ),
        skipped: found.skipped.map((s) => ({ path: show(s.path), reason: s.reason })),
      };
      const published = opts.accept ? opts.accept(lock) : true;
      const trash = published ? await publish(assets, scratch, opts.stageDir) : undefined;
      if (published) await writeStageStamps(opts.stageDir, assets);
      await Promise.all([closed, trash === undefined ? undefined : rm(trash, { recursive: true, force: true })]);
      return {
        lock,
        assets,
        unclassified,
        secrets: found.secrets.map(show),
        published,
        keptContainer: session.keptContainer,
        ...(scan ? { scan } : {}),
      };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  } finally {
    await close();
  }
}

async function stageAll(
  planned: PlannedAsset[],
  session: RunSession,
  opts: DiscoverOptions,
  scratch: string,
  ctx: RunContext,
  reported: readonly string[],
): Promise<DiscoveredAsset[]> {
  await mkdir(scratch, { recursive: true });
  const progress = await stagingProgress(planned, session, ctx);
  const out: DiscoveredAsset[] = [];
  for (const asset of planned) {
    throwIfAborted(ctx.signal);
    const tmp = join(scratch, asset.id);
    // A throwaway home's files can be moved rather than copied, unless another asset still needs them (the
    // runner moves only what the run itself created; a user's folder is always copied).
    const overlaps = planned.some(
      (other) =>
        other !== asset && (isInsideOrEqual(other.source, asset.source) || isInsideOrEqual(asset.source, other.source)),
    );
    let stats: ExportStats;
    try {
      stats = await session.exportTree(asset.source, tmp, (rel) => stagingFilter(asset, rel), {
        move: !overlaps,
        onBytes: progress.add,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
    } catch (error) {
      throw await stagingError(error, asset, session, opts.stageDir, scratch);
    }
    for (const s of stats.skipped) {
      if (s.unsafe) ctx.emit({ type: "warning", message: `${asset.id}: skipped ${s.path}: ${s.reason}`, path: s.path });
      // A secret the diff did not show (an --include outside the run's HOME on the local runner) is named too.
      const full = posix.join(asset.source, s.path);
      if (!s.unsafe && s.reason.startsWith("secret:") && !reported.some((r) => isInsideOrEqual(full, r))) {
        ctx.emit({ type: "warning", message: `not packaging a secret: ${displayPath(full, session, opts.projectRoot)}`, path: full });
      }
    }
    const summary = stats.tree ?? (await digestTree(tmp));
    ctx.emit({
      type: "progress",
      id: `stage-${asset.id}`,
      label: `stage ${asset.id}`,
      done: summary.files,
      total: summary.files,
      unit: "items",
    });
    ctx.emit({ type: "progress-end", id: `stage-${asset.id}` });
    out.push({
      id: asset.id,
      library: asset.library,
      source: displayPath(asset.source, session, opts.projectRoot),
      target: asset.target,
      env: asset.env,
      files: summary.files,
      bytes: summary.bytes,
      digest: summary.digest,
      ...(asset.writable ? { writable: true as const } : {}),
      ...(asset.home === undefined ? {} : { home: asset.home }),
      notes: asset.notes,
      stagedPath: join(opts.stageDir, asset.id),
      ...(asset.relocation ? { relocation: asset.relocation } : {}),
    });
  }
  progress.end();
  return out;
}

/**
 * Byte progress over the whole staging step, as the export streams: the total is what the run wrote (the
 * container's writable layer; on the host, the size of each asset's source), events at most every 100 ms.
 */
async function stagingProgress(planned: PlannedAsset[], session: RunSession, ctx: RunContext) {
  let total: number | undefined;
  if (planned.length > 0) {
    if (session.writtenBytes) total = await session.writtenBytes().catch(() => undefined);
    else {
      total = 0;
      for (const asset of planned) total += (await session.measure(asset.source).catch(() => ({ bytes: 0 }))).bytes;
    }
  }
  const label = `stage ${planned.length} asset${planned.length === 1 ? "" : "s"}`;
  let done = 0;
  let last = 0;
  const emit = () =>
    ctx.emit({ type: "progress", id: "stage", label, done, ...(total ? { total: Math.max(total, done) } : {}), unit: "bytes" });
  if (planned.length > 0) emit();
  return {
    add: (bytes: number) => {
      done += bytes;
      const now = Date.now();
      if (now - last >= 100) {
        last = now;
        emit();
      }
    },
    end: () => {
      if (planned.length === 0) return;
      emit();
      ctx.emit({ type: "progress-end", id: "stage" });
    },
  };
}

/**
 * A failed export as the user should see it: a full disk names the staging folder and how much the asset needs;
 * a file of theirs that cannot be read is named as such; anything else is passed on.
 */
async function stagingError(
  error: unknown,
  asset: PlannedAsset,
  session: RunSession,
  stageDir: string,
  scratch: string,
): Promise<unknown> {
  const action = `staging asset ${asset.id} (${displayPath(asset.source, session)})`;
  if (isNoSpace(error)) {
    const needed = await session.measure(asset.source).then(
      (m) => m.bytes,
      () => undefined,
    );
    return fsError(error, { path: stageDir, isDir: true, action, ...(needed === undefined ? {} : { neededBytes: needed }) });
  }
  const path = (error as { path?: unknown }).path;
  if (typeof path === "string" && !isInsideOrEqual(path, scratch)) return fsError(error, { path, action });
  return error;
}

/**
 * Project files are never staged: with `--workdir` inside a cache folder (e.g. the HF home) the project copied
 * into the container would be exported as part of that cache, `.env` and all. Refused rather than filtered, so
 * what is packaged never depends on which project files happen to exist.
 */
function refuseProjectInAsset(assets: readonly PlannedAsset[], session: RunSession): void {
  for (const asset of assets) {
    const inside = session.copiedIn.find((p) => isInsideOrEqual(p, asset.source));
    if (inside === undefined) continue;
    throw new UsageError(
      `the project is copied into ${asset.source}, the ${asset.library} cache: its files (${escapeName(inside)}) would be packaged as asset ${asset.id}`,
      {
        code: "E_WORKDIR_OVERLAP",
        hint: "Choose a --workdir (discover.workdir) outside every cache folder, e.g. the default /var/task.",
      },
    );
  }
}

/** `--timeout`: any positive number of seconds (the timers cope with any size); anything else is a usage error. */
function checkTimeout(seconds: number): void {
  if (typeof seconds !== "number" || Number.isNaN(seconds) || seconds <= 0) {
    throw new UsageError(`--timeout ${String(seconds)}: expected a positive number of seconds`, {
      hint: "Example: --timeout 600 (10 minutes); the default is 3600.",
    });
  }
}

/**
 * Replaces `.mlpack/assets` content with the new trees by renames; returns the folder holding the old trees, for
 * the caller to remove (a crash before that leaves an `.old-*` folder, which the next run's leftover sweep removes).
 */
async function publish(assets: DiscoveredAsset[], scratch: string, stageDir: string): Promise<string> {
  const trash = join(stageDir, `${OLD_PREFIX}${process.pid}-${Date.now()}`);
  await mkdir(trash, { recursive: true });
  for (const name of await readdir(stageDir)) {
    if (name.startsWith(".")) continue;
    await rename(join(stageDir, name), join(trash, name));
  }
  for (const asset of assets) await rename(join(scratch, asset.id), asset.stagedPath);
  return trash;
}

/**
 * Host temp homes are per run and host projects per checkout; show them as ~ and ./ so the lock does not
 * change from run to run or machine to machine.
 */
function displayPath(path: string, session: RunSession, projectRoot?: string): string {
  if (!session.ephemeralHome) return path;
  if (path === session.home) return "~";
  if (path.startsWith(`${session.home}/`)) return `~${path.slice(session.home.length)}`;
  if (projectRoot !== undefined && path.startsWith(`${projectRoot}/`)) return `.${path.slice(projectRoot.length)}`;
  return path;
}
