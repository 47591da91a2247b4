import { Transform } from "node:stream";
import { LABEL_ASSET_ROOT } from "../bundle/labels.js";
import { throwIfAborted } from "../errors.js";
import { type EmitFn, noopEmit } from "../events.js";
import type { Blob } from "../image/types.js";
import {
  bareType,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  isIndexType,
  layerCompression,
} from "../registry/media-types.js";
import { mapPool } from "../registry/pool.js";
import type { ImageReader } from "../registry/remote.js";
import { type LayerScan, normalizeEntry, scanLayer } from "./layer-scan.js";
import { layerFindings } from "./layer-rules.js";
import { checkIndex, checkManifest } from "./manifest-rules.js";
import { type Finding, LAMBDA_UNCOMPRESSED_LIMIT, RULES, type RuleId } from "./rules.js";
import type { ScanCache } from "./scan-cache.js";

/**
 * `mlpack verify --static`: read an image's manifest, config and every layer (streamed, never held) and
 * report what Lambda would refuse at deploy time. Layers already scanned (same digest) come from the cache.
 */

export interface StaticCheckOptions {
  reader: ImageReader;
  /** Tag or digest in the reader ("" for a layout's only image). */
  reference: string;
  /** How the image is named in the result and messages. */
  name: string;
  /** Where assets live when the image's labels do not say (default /cache). */
  assetRoot?: string;
  /** Reads a layer from elsewhere when it can (assemble: the local OCI layout before the registry). */
  layerSource?: (layer: Descriptor) => Promise<Blob | undefined>;
  cache?: ScanCache;
  /** Layers scanned at once (default 2). */
  concurrency?: number;
  limitBytes?: number;
  emit?: EmitFn;
  signal?: AbortSignal;
}

export interface StaticLayer {
  digest: string;
  mediaType: string;
  size: number;
  uncompressedBytes: number;
  entries: number;
  /** The scan came from the cache (this digest was checked before). */
  cached: boolean;
}

export interface StaticCheckResult {
  ok: boolean;
  image: string;
  digest: string;
  mediaType: string;
  manifestBytes: number;
  platform: string | undefined;
  assetRoot: string;
  uncompressedBytes: number;
  layers: StaticLayer[];
  findings: Finding[];
  rules: RuleId[];
}

function counting(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}

export async function checkImage(opts: StaticCheckOptions): Promise<StaticCheckResult> {
  const emit = opts.emit ?? noopEmit;
  const limit = opts.limitBytes ?? LAMBDA_UNCOMPRESSED_LIMIT;
  const rules = Object.keys(RULES) as RuleId[];
  const top = await opts.reader.manifest(opts.reference);
  const base = {
    image: opts.name,
    digest: top.digest,
    mediaType: top.mediaType,
    manifestBytes: top.bytes.length,
    rules,
  };
  if (isIndexType(top.mediaType) || "manifests" in top.json) {
    const findings = checkIndex(top.json as ImageIndex, top.mediaType);
    return {
      ...base,
      ok: false,
      platform: undefined,
      assetRoot: opts.assetRoot ?? "/cache",
      uncompressedBytes: 0,
      layers: [],
      findings,
    };
  }
  const manifest = top.json as ImageManifest;
  const layers = Array.isArray(manifest.layers) ? manifest.layers : [];
  const config = JSON.parse((await opts.reader.blobBytes(manifest.config)).toString("utf8")) as {
    os?: unknown;
    architecture?: unknown;
    variant?: unknown;
    config?: { Labels?: Record<string, string> };
  };
  const findings = checkManifest(manifest, top.mediaType, top.bytes.length, config);
  const assetRoot = config.config?.Labels?.[LABEL_ASSET_ROOT] ?? opts.assetRoot ?? "/cache";
  const roots = [normalizeEntry(assetRoot)];
  const key = JSON.stringify({ roots, limit });

  const scans = await mapPool(layers, opts.concurrency ?? 2, async (layer, i): Promise<[LayerScan, boolean]> => {
    throwIfAborted(opts.signal);
    const cached = await opts.cache?.get(layer.digest, key);
    if (cached) return [cached, true];
    const compression = layerCompression(layer.mediaType) ?? "gzip";
    const blob = (await opts.layerSource?.(layer)) ?? opts.reader.blob(layer);
    const label = `checking layer ${i + 1}/${layers.length}`;
    let done = 0;
    const source = blob.open();
    const body = counting((n) => {
      done += n;
      emit({ type: "progress", id: `check:${layer.digest}`, label, done, total: layer.size, unit: "bytes" });
    });
    // Errors travel downstream (a failed read fails the scan); a scan that stops early stops the read.
    source.on("error", (err) => body.destroy(err));
    body.on("close", () => source.destroy());
    source.pipe(body);
    try {
      const scan = await scanLayer(body, { digest: layer.digest, compression, roots, limitBytes: limit });
      await opts.cache?.set(scan, key);
      return [scan, false];
    } finally {
      emit({ type: "progress-end", id: `check:${layer.digest}` });
    }
  });
  findings.push(...layerFindings(scans.map(([s]) => s), limit));
  const os = typeof config.os === "string" ? config.os : undefined;
  const arch = typeof config.architecture === "string" ? config.architecture : undefined;
  return {
    ...base,
    mediaType: bareType(top.mediaType),
    ok: !findings.some((f) => f.severity === "error"),
    platform: os && arch ? `${os}/${arch}${typeof config.variant === "string" ? `/${config.variant}` : ""}` : undefined,
    assetRoot,
    uncompressedBytes: scans.reduce((n, [s]) => n + s.uncompressedBytes, 0),
    layers: layers.map((l, i) => ({
      digest: l.digest,
      mediaType: l.mediaType,
      size: l.size,
      uncompressedBytes: scans[i]?.[0].uncompressedBytes ?? 0,
      entries: scans[i]?.[0].entries ?? 0,
      cached: scans[i]?.[1] ?? false,
    })),
    findings,
  };
}
