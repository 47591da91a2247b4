import { stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { throwIfAborted, UsageError } from "../errors.js";
import { collectGarbage } from "../util/collect-garbage.js";
import { type EmitFn, noopEmit } from "../events.js";
import { writeSmallBlob } from "./blob-sink.js";
import { BlockPool } from "./block-filler.js";
import { DeflatePool } from "./deflate-pool.js";
import { layerEntries, type ScannedAsset } from "./layer-entries.js";
import { type Layering, layerTitle, planLayers } from "./layer-plan.js";
import { type Compression, writeLayer } from "./layer-writer.js";
import { commitIndex, prepareLayout, removeUnreferencedBlobs } from "./layout-writer.js";
import { type ConfigLayer, imageDocuments, type Platform } from "./oci-config.js";
import type { BuildWarning } from "./tar-entries.js";
import { scanTree } from "./tree-scan.js";

/** One staged asset to put into the image. */
export interface ImageAsset {
  id: string;
  /** Path under the asset root, e.g. "huggingface". */
  target: string;
  /** Staged tree on disk. */
  dir: string;
  layering: Layering;
  /** What the lock says the staged tree holds; a tree that no longer matches is refused before any layer. */
  expect?: { files: number; bytes: number };
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
  /** Recorded as org.opencontainers.image.ref.name in index.json. */
  tag?: string;
  emit?: EmitFn;
  signal?: AbortSignal;
  /** Deflate threads; default: one per core. 0 = compress on the main thread. Never changes the bytes. */
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

async function scanAssets(assets: ReadonlyArray<ImageAsset>, signal?: AbortSignal) {
  const scanned = new Map<string, ScannedAsset>();
  for (const asset of assets) {
    if (scanned.has(asset.id)) throw new UsageError(`asset id ${asset.id} is listed twice`);
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
    const scan = await scanTree(asset.dir, signal);
    throwIfAborted(signal);
    const found = scan.counts;
    if (asset.expect && (found.files !== asset.expect.files || found.bytes !== asset.expect.bytes)) {
      throw new UsageError(
        `staged asset ${asset.id} does not match mlpack.lock.json (${found.files} files/${found.bytes} bytes staged, lock says ${asset.expect.files}/${asset.expect.bytes})`,
        { code: "E_ASSET_STALE", hint: "Run `mlpack discover` again to re-stage it." },
      );
    }
    scanned.set(asset.id, { id: asset.id, target: asset.target, scan });
  }
  return scanned;
}

/**
 * Builds the FROM-scratch asset image into an OCI layout, daemonless and deterministic (DESIGN.md §4):
 * scan the staged trees, plan layers, stream each layer once into its blob, then write config, manifest and
 * finally index.json. Progress goes to `emit`; an aborted signal stops it with InterruptedError and the
 * layout keeps whatever complete image it held before.
 */
export async function buildImage(options: BuildImageOptions): Promise<BuildResult> {
  const { signal, compression } = options;
  const emit = options.emit ?? noopEmit;
  if (!Number.isInteger(options.sourceDateEpoch) || options.sourceDateEpoch < 0) {
    throw new UsageError(`SOURCE_DATE_EPOCH must be a non-negative integer, got ${options.sourceDateEpoch}`);
  }
  throwIfAborted(signal);
  // Scanned (and checked against the lock) before the layout is touched: a refused tree writes nothing.
  const scanned = await scanAssets(options.assets, signal);
  await prepareLayout(options.layoutDir);
  const warnings = [...scanned.values()].flatMap((a) => a.scan.warnings);
  const plans = planLayers(
    options.assets.map((asset) => ({
      id: asset.id,
      target: asset.target,
      layering: asset.layering,
      files: (scanned.get(asset.id)?.scan.entries ?? []).filter((e) => e.type !== "dir"),
    })),
  );
  const workers = options.workers ?? availableParallelism();
  const pool =
    (compression === "gzip" || compression === "auto") && workers > 0 ? new DeflatePool(workers) : null;
  const blocks = new BlockPool();
  const layers: BuiltLayer[] = [];
  try {
    for (const [i, plan] of plans.entries()) {
      throwIfAborted(signal);
      // Drop the previous phase's garbage (scan, or the last layer's entries) before the next long pass.
      collectGarbage();
      const title = layerTitle(plan);
      const { entries, files, tarSize } = layerEntries(plan, scanned, options.assetRoot);
      const id = `layer-${i + 1}`;
      const label = `layer ${i + 1}/${plans.length} ${title}`;
      emit({ type: "progress", id, label, done: 0, total: tarSize, unit: "bytes" });
      const written = await writeLayer({
        entries,
        mtime: options.sourceDateEpoch,
        compression,
        layoutDir: options.layoutDir,
        pool,
        blocks,
        signal,
        onProgress: (done) => emit({ type: "progress", id, label, done, total: tarSize, unit: "bytes" }),
      });
      emit({ type: "progress-end", id });
      const assetId = [...new Set(plan.parts.map((p) => p.assetId))].join("+");
      layers.push({ assetId, title, files, ...written });
    }
  } finally {
    await pool?.close();
  }
  throwIfAborted(signal);
  const configLayers: ConfigLayer[] = layers;
  const docs = imageDocuments({
    layers: configLayers,
    platform: options.platform,
    sourceDateEpoch: options.sourceDateEpoch,
    labels: options.labels,
  });
  const configDigest = await writeSmallBlob(options.layoutDir, docs.config);
  const manifestDigest = await writeSmallBlob(options.layoutDir, docs.manifest);
  throwIfAborted(signal);
  await commitIndex(options.layoutDir, { digest: manifestDigest, size: docs.manifest.length }, options.tag);
  await removeUnreferencedBlobs(
    options.layoutDir,
    new Set([manifestDigest, configDigest, ...layers.map((l) => l.digest)]),
  );
  return { manifestDigest, configDigest, layers, warnings };
}
