import { lstatSync, readdirSync } from "node:fs";
import { stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { throwIfAborted, UsageError } from "../errors.js";
import { type EmitFn, noopEmit } from "../events.js";
import { compareUtf8 } from "../util/byte-order.js";
import { collectGarbage } from "../util/collect-garbage.js";
import { fsError, isNoSpace } from "../util/fs-errors.js";
import { writeSmallBlob } from "./blob-sink.js";
import { BlockPool } from "./block-filler.js";
import { DeflatePool } from "./deflate-pool.js";
import { HashThread } from "./hash-thread.js";
import { layerEntries, type LayerSource, layerPrefix } from "./layer-entries.js";
import { type LayerPart, type Layering, layerTitle, planLayers, REPO_FOLDER } from "./layer-plan.js";
import { type Compression, writeLayer } from "./layer-writer.js";
import { DEFAULT_REF_NAME, LayoutSession } from "./layout-writer.js";
import { type ConfigLayer, imageDocuments, type Platform } from "./oci-config.js";
import { type BuildWarning, holdsContent, TreeView, newTally, type TreeTally, walkPart } from "./tree-walk.js";

/** One staged asset to put into the image. */
export interface ImageAsset {
  id: string;
  /** Path under the asset root, e.g. "huggingface". */
  target: string;
  /** Staged tree on disk. */
  dir: string;
  layering: Layering;
  /** What the lock says the staged tree holds; a tree that no longer matches is refused before index.json. */
  expect?: { files: number; bytes: number };
  /**
   * The newest ctime (ms) of the tree when discover staged it (lock/stage-stamp). Every file and folder the
   * pass meets must be no newer, else the asset goes to `verifyAsset`; without a stamp it goes there first.
   */
  stampCtimeMs?: number;
}

export interface BuildImageOptions {
  assets: ReadonlyArray<ImageAsset>;
  /** Absolute path inside the image, e.g. "/cache". */
  assetRoot: string;
  compression: Compression;
  platform: Platform;
  /** The one timestamp in the image (SOURCE_DATE_EPOCH, or 0). */
  sourceDateEpoch: number;
  labels: Readonly<Record<string, string>>;
  layoutDir: string;
  /** org.opencontainers.image.ref.name of mlpack's entry in index.json (default "latest"). */
  tag?: string;
  /** The layout is mlpack's own work folder (`.mlpack/oci`): one mlpack image there, whatever the tag. */
  ownLayout?: boolean;
  /**
   * Re-checks a staged tree that may have changed since it was staged (no stamp, or something newer than
   * it): throw to refuse the build. Called before the first layer for trees without a stamp, and before
   * index.json for trees the pass found changed. Without it, only the lock's counts are checked.
   */
  verifyAsset?: (asset: ImageAsset) => Promise<void>;
  emit?: EmitFn;
  signal?: AbortSignal;
  /**
   * Deflate threads; default: one per core. 0 = compress and hash on the main thread (no hash thread
   * either). Never changes the bytes.
   */
  workers?: number;
}

export interface BuiltLayer {
  assetId: string;
  title: string;
  files: number;
  uncompressedSize: number;
  size: number;
  digest: string;
  diffId: string;
  mediaType: string;
}

export interface BuildResult {
  manifestDigest: string;
  configDigest: string;
  layers: BuiltLayer[];
  warnings: BuildWarning[];
}

async function checkAssets(assets: ReadonlyArray<ImageAsset>, assetRoot: string): Promise<void> {
  const seen = new Set<string>();
  for (const asset of assets) {
    if (seen.has(asset.id)) throw new UsageError(`asset id ${asset.id} is listed twice`);
    seen.add(asset.id);
    layerPrefix(assetRoot, asset.target); // E_UNSAFE_PATH before anything is read or written
    const isDir = await stat(asset.dir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir) {
      throw new UsageError(`staged asset ${asset.id} is missing (${asset.dir})`, {
        code: "E_ASSET_MISSING",
        hint: "Run `mlpack discover` to stage the assets listed in mlpack.lock.json.",
      });
    }
  }
}

/** Whether the walk of `part` yields anything but folders (files, kept links), counting into `tally`. */
function walkFindsContent(source: LayerSource, part: Omit<LayerPart, "assetId">, tally: TreeTally): boolean {
  for (const item of walkPart(part, tally, source.view)) if (item.type !== "dir") return true;
  return false;
}

/** Content bytes of a part, from metadata alone (only needed when layers must be merged). */
function partBytes(source: LayerSource, part: LayerPart): number {
  const tally = newTally(source.id, source.tally.dir);
  let bytes = 0;
  for (const item of walkPart(part, tally, source.view))
    if (item.type === "file") bytes += lstatSync(`${source.tally.dir}/${item.rel}`).size;
  return bytes;
}

/** Repo folders of a Hugging Face cache that hold content, at the asset's top and under hub/. */
function repoFolders(source: LayerSource): string[] {
  const found: string[] = [];
  for (const parent of ["", "hub"]) {
    let names: string[];
    try {
      names = readdirSync(join(source.tally.dir, parent), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
    } catch {
      continue;
    }
    for (const name of names) {
      const rel = parent === "" ? name : `${parent}/${name}`;
      if (REPO_FOLDER.test(rel) && holdsContent(source.tally, source.view, rel)) found.push(rel);
    }
  }
  return found.sort(compareUtf8);
}

function merge(into: TreeTally, from: TreeTally): void {
  into.files += from.files;
  into.bytes += from.bytes;
  into.fresh &&= from.fresh;
  into.warnings.push(...from.warnings);
}

function stale(asset: ImageAsset, tally: TreeTally): UsageError {
  const expect = asset.expect as { files: number; bytes: number };
  return new UsageError(
    `staged asset ${asset.id} does not match mlpack.lock.json (${tally.files} files/${tally.bytes} bytes staged, lock says ${expect.files}/${expect.bytes})`,
    { code: "E_ASSET_STALE", hint: "Run `mlpack discover` again to re-stage it." },
  );
}

/**
 * Builds the FROM-scratch asset image into an OCI layout, daemonless and deterministic (DESIGN.md §4):
 * plan layers, stream each layer once into its blob (walking the staged tree, checking it against the lock
 * and its stage stamp in the same pass), then write config, manifest and finally index.json. Progress goes
 * to `emit`; an aborted signal stops it with InterruptedError, and any failure leaves the layout showing
 * whatever complete image it held before (the blobs this run created are removed again).
 */
export async function buildImage(options: BuildImageOptions): Promise<BuildResult> {
  const { signal, compression } = options;
  const emit = options.emit ?? noopEmit;
  if (!Number.isInteger(options.sourceDateEpoch) || options.sourceDateEpoch < 0) {
    throw new UsageError(`SOURCE_DATE_EPOCH must be a non-negative integer, got ${options.sourceDateEpoch}`);
  }
  throwIfAborted(signal);
  await checkAssets(options.assets, options.assetRoot);
  // Trees without a stamp are checked against the lock before the layout is touched: a refused tree writes nothing.
  if (options.verifyAsset) {
    for (const asset of options.assets) if (asset.stampCtimeMs === undefined) await options.verifyAsset(asset);
  }
  throwIfAborted(signal);
  const layout = await LayoutSession.open(options.layoutDir, { ownLayout: options.ownLayout ?? false });
  const workers = options.workers ?? availableParallelism();
  const pool =
    (compression === "gzip" || compression === "auto") && workers > 0 ? new DeflatePool(workers) : null;
  const hasher = workers > 0 ? new HashThread() : null;
  try {
    const result = await buildLayers(options, layout, pool, hasher, emit);
    return result;
  } catch (error) {
    await layout.abandon();
    throw isNoSpace(error)
      ? fsError(error, { path: options.layoutDir, isDir: true, action: "writing the image layout" })
      : error;
  } finally {
    await pool?.close();
    await hasher?.close();
    await layout.release();
  }
}

async function buildLayers(
  options: BuildImageOptions,
  layout: LayoutSession,
  pool: DeflatePool | null,
  hasher: HashThread | null,
  emit: EmitFn,
): Promise<BuildResult> {
  const { signal, compression } = options;
  const sources = new Map<string, LayerSource>();
  const planAssets = options.assets.map((asset) => {
    const source: LayerSource = {
      id: asset.id,
      target: asset.target,
      tally: newTally(asset.id, asset.dir, asset.stampCtimeMs),
      view: new TreeView(newTally(asset.id, asset.dir).dir),
    };
    sources.set(asset.id, source);
    if (asset.layering === "single") return { id: asset.id, target: asset.target, layering: asset.layering };
    const repos = repoFolders(source);
    // The rest is walked here only to see whether it holds anything; when it does not, this walk was the
    // whole of it (it counted what it skipped), so its tally is the asset's.
    const restTally = newTally(asset.id, asset.dir, asset.stampCtimeMs);
    const rest = walkFindsContent(source, { include: null, exclude: repos }, restTally);
    if (!rest && repos.length > 0) merge(source.tally, restTally);
    return { id: asset.id, target: asset.target, layering: asset.layering, repos, rest };
  });
  const plans = planLayers(planAssets, undefined, (part) => partBytes(sources.get(part.assetId) as LayerSource, part));
  const blocks = new BlockPool();
  const layers: BuiltLayer[] = [];
  for (const [i, plan] of plans.entries()) {
    throwIfAborted(signal);
    // Drop the previous layer's garbage before the next long pass.
    collectGarbage();
    const title = layerTitle(plan);
    const id = `layer-${i + 1}`;
    const label = `layer ${i + 1}/${plans.length} ${title}`;
    emit({ type: "progress", id, label, done: 0, unit: "bytes" });
    let files = 0;
    const written = await writeLayer({
      entries: layerEntries(plan, sources, options.assetRoot),
      mtime: options.sourceDateEpoch,
      compression,
      layoutDir: options.layoutDir,
      pool,
      hasher,
      blocks,
      signal,
      onFile: () => {
        files += 1;
      },
      onProgress: (done) => emit({ type: "progress", id, label, done, unit: "bytes" }),
    });
    layout.wrote(written.digest, written.created);
    emit({ type: "progress-end", id });
    const assetId = [...new Set(plan.parts.map((p) => p.assetId))].join("+");
    const { created: _c, ...layer } = written;
    layers.push({ assetId, title, files, ...layer });
  }
  throwIfAborted(signal);
  // The tree check of the pass: the lock's counts, then the stamp (a re-check only for what changed).
  for (const asset of options.assets) {
    const tally = (sources.get(asset.id) as LayerSource).tally;
    if (asset.expect && (tally.files !== asset.expect.files || tally.bytes !== asset.expect.bytes))
      throw stale(asset, tally);
    if (!tally.fresh && asset.stampCtimeMs !== undefined && options.verifyAsset) await options.verifyAsset(asset);
  }
  throwIfAborted(signal);
  const warnings = [...sources.values()]
    .flatMap((s) => s.tally.warnings)
    .sort((a, b) => compareUtf8(a.path, b.path));
  const configLayers: ConfigLayer[] = layers;
  const docs = imageDocuments({
    layers: configLayers,
    platform: options.platform,
    sourceDateEpoch: options.sourceDateEpoch,
    labels: options.labels,
  });
  const config = await writeSmallBlob(options.layoutDir, docs.config);
  layout.wrote(config.digest, config.created);
  const manifest = await writeSmallBlob(options.layoutDir, docs.manifest);
  layout.wrote(manifest.digest, manifest.created);
  throwIfAborted(signal);
  await layout.commit({ digest: manifest.digest, size: docs.manifest.length }, options.tag ?? DEFAULT_REF_NAME, [
    manifest.digest,
    config.digest,
    ...layers.map((l) => l.digest),
  ]);
  return { manifestDigest: manifest.digest, configDigest: config.digest, layers, warnings };
}
