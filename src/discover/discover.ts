import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { RunContext } from "../events.js";
import type { Lock, LockAsset } from "../lock/lock.js";
import { writeStageStamps } from "../lock/stage-stamp.js";
import { digestTree } from "../lock/tree-digest.js";
import { OLD_PREFIX, STAGING_PREFIX } from "../state/work-dir.js";
import { classify, type PlannedAsset, stagingFilter } from "./classify.js";
import { isInsideOrEqual } from "./classify-paths.js";
import type { Runner, RunSession } from "./runner.js";

/** Directories bigger than this that no catalog entry claims are reported as "unclassified". */
export const UNCLASSIFIED_MIN_BYTES = 1024 * 1024;

export interface DiscoverOptions {
  runner: Runner;
  command: string[];
  projectDir: string;
  env: Record<string, string>;
  timeoutSec: number;
  include: string[];
  exclude: string[];
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
}

export interface DiscoverResult {
  lock: Lock;
  assets: DiscoveredAsset[];
  unclassified: { path: string; files: number; bytes: number }[];
  secrets: string[];
  /** Whether the staged trees replaced `.mlpack/assets` (see `accept`). */
  published: boolean;
}

/**
 * Runs the command once, classifies what it wrote against the catalog, and stages each asset's tree.
 * Staging is all-or-nothing per asset: a tree is exported to a temp dir and renamed into place only when
 * complete, so an interrupted discover never leaves a half-copied asset that bundle would trust.
 */
export async function discover(opts: DiscoverOptions, ctx: RunContext): Promise<DiscoverResult> {
  const session = await opts.runner.run(
    { command: opts.command, projectDir: opts.projectDir, env: opts.env, timeoutSec: opts.timeoutSec },
    ctx,
  );
  try {
    const changes = await session.changes();
    const found = classify({
      changes,
      env: session.env,
      home: session.home,
      assetRoot: opts.assetRoot,
      include: opts.include,
      exclude: opts.exclude,
    });
    for (const secret of found.secrets) {
      ctx.emit({
        type: "warning",
        message: `not packaging a secret: ${displayPath(secret, session)}`,
        path: secret,
      });
    }
    const unclassified: DiscoverResult["unclassified"] = [];
    for (const root of found.unknownRoots) {
      const size = await session.measure(root);
      if (size.bytes > UNCLASSIFIED_MIN_BYTES)
        unclassified.push({ path: displayPath(root, session), ...size });
    }
    const scratch = join(opts.stageDir, `${STAGING_PREFIX}${process.pid}-${Date.now()}`);
    try {
      const assets = await stageAll(found.assets, session, opts, scratch, ctx);
      const lock: Lock = {
        schemaVersion: 1,
        runner: opts.runner.kind,
        image: opts.runner.image,
        command: opts.command,
        assetRoot: opts.assetRoot,
        assets: assets.map(({ notes: _n, stagedPath: _s, ...asset }) => asset),
        skipped: found.skipped.map((s) => ({ path: displayPath(s.path, session), reason: s.reason })),
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
        secrets: found.secrets.map((s) => displayPath(s, session)),
        published,
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
      source: displayPath(asset.source, session),
      target: asset.target,
      env: asset.env,
      files: summary.files,
      bytes: summary.bytes,
      digest: summary.digest,
      notes: asset.notes,
      stagedPath: join(opts.stageDir, asset.id),
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

/** Host temp homes are per run; show them as ~ so the lock does not change from run to run. */
function displayPath(path: string, session: RunSession): string {
  if (session.ephemeralHome && path === session.home) return "~";
  return session.ephemeralHome && path.startsWith(`${session.home}/`)
    ? `~${path.slice(session.home.length)}`
    : path;
}
