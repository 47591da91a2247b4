import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { join, posix } from "node:path";
import { getEntry } from "../catalog/index.js";
import type { CatalogEntry } from "../catalog/types.js";
import type { RunContext } from "../events.js";
import type { Lock, LockAsset } from "../lock/lock.js";
import { writeStageStamps } from "../lock/stage-stamp.js";
import { digestTree } from "../lock/tree-digest.js";
import { OLD_PREFIX, STAGING_PREFIX } from "../state/work-dir.js";
import { type PlannedAsset, stagingFilter } from "./classify.js";
import { isInsideOrEqual } from "./classify-paths.js";
import { type CodeScanSummary, classifyRun, precheckIncludes, type UnknownReport } from "./classify-run.js";
import type { CodeScanner } from "./code-scan.js";
import type { Relocation } from "./relocate.js";
import type { Runner, RunSession } from "./runner.js";

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
}

/**
 * Runs the command once, classifies what it wrote against the catalog, and stages each asset's tree.
 * Staging is all-or-nothing per asset: a tree is exported to a temp dir and renamed into place only when
 * complete, so an interrupted discover never leaves a half-copied asset that bundle would trust.
 */
export async function discover(opts: DiscoverOptions, ctx: RunContext): Promise<DiscoverResult> {
  precheckIncludes(opts.include);
  const session = await opts.runner.run(
    { command: opts.command, projectDir: opts.projectDir, env: opts.env, timeoutSec: opts.timeoutSec },
    ctx,
  );
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
    const unclassified = unknown.map((u) => ({ ...u, path: show(u.path) }));
    const scratch = join(opts.stageDir, `${STAGING_PREFIX}${process.pid}-${Date.now()}`);
    try {
      const assets = await stageAll(found.assets, session, opts, scratch, ctx, found.secrets);
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
      if (published) {
        await publish(assets, scratch, opts.stageDir);
        await writeStageStamps(opts.stageDir, assets);
      }
      return {
        lock,
        assets,
        unclassified,
        secrets: found.secrets.map(show),
        published,
        ...(scan ? { scan } : {}),
      };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  } finally {
    await session.close();
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
  const out: DiscoveredAsset[] = [];
  for (const asset of planned) {
    const tmp = join(scratch, asset.id);
    ctx.emit({
      type: "progress",
      id: `stage-${asset.id}`,
      label: `stage ${asset.id}`,
      done: 0,
      unit: "items",
    });
    // A throwaway home's files can be moved rather than copied, unless another asset still needs them.
    const overlaps = planned.some(
      (other) =>
        other !== asset && (isInsideOrEqual(other.source, asset.source) || isInsideOrEqual(asset.source, other.source)),
    );
    const stats = await session.exportTree(asset.source, tmp, (rel) => stagingFilter(asset, rel), {
      move: session.ephemeralHome && !overlaps,
    });
    for (const s of stats.skipped) {
      if (s.unsafe) ctx.emit({ type: "warning", message: `${asset.id}: skipped ${s.path}: ${s.reason}`, path: s.path });
      // A secret the diff did not show (an --include outside the run's HOME on the local runner) is named too.
      const full = posix.join(asset.source, s.path);
      if (!s.unsafe && s.reason.startsWith("secret:") && !reported.some((r) => isInsideOrEqual(full, r))) {
        ctx.emit({ type: "warning", message: `not packaging a secret: ${displayPath(full, session, opts.projectRoot)}`, path: full });
      }
    }
    const summary = await digestTree(tmp);
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
  return out;
}

/** Replaces `.mlpack/assets` content with the new trees; old trees of assets no longer found are removed. */
async function publish(assets: DiscoveredAsset[], scratch: string, stageDir: string): Promise<void> {
  const trash = join(stageDir, `${OLD_PREFIX}${process.pid}-${Date.now()}`);
  await mkdir(trash, { recursive: true });
  for (const name of await readdir(stageDir)) {
    if (name.startsWith(".")) continue;
    await rename(join(stageDir, name), join(trash, name));
  }
  for (const asset of assets) await rename(join(scratch, asset.id), asset.stagedPath);
  await rm(trash, { recursive: true, force: true });
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
