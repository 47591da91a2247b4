import type { EmitFn } from "../events.js";
import type { Blob } from "../image/types.js";
import type { RegistryClient } from "../registry/client.js";
import { mapPool } from "../registry/pool.js";
import type { RetryOptions } from "../registry/types.js";
import { type BlobAction, uploadBlob } from "../registry/upload.js";

/**
 * Getting every blob of the assembled image into the target repository, the cheapest way each allows:
 * HEAD (already there: skipped), a cross-repository mount from its source repository on the same registry
 * (mounted; ECR answers 202 instead when it will not, and the same session then takes the bytes), else the
 * bytes streamed from the source (GET) into the upload (PUT) — registry to registry, nothing stored locally.
 */

export interface TransferItem {
  blob: Blob;
  role: "app" | "assets" | "config";
  /** A repository on the target registry holding the blob, to mount from. */
  mountFrom?: string;
}

export interface TransferredBlob {
  digest: string;
  size: number;
  mediaType: string;
  source: TransferItem["role"];
  action: BlobAction;
}

export interface TransferOptions {
  target: RegistryClient;
  concurrency: number;
  retry?: RetryOptions;
  stop: AbortController;
  emit: EmitFn;
}

export async function transferBlobs(items: readonly TransferItem[], opts: TransferOptions): Promise<TransferredBlob[]> {
  const unique = items.filter((it, i) => items.findIndex((x) => x.blob.digest === it.blob.digest) === i);
  const counts = { app: 0, assets: 0, config: 0 };
  const totals = { app: 0, assets: 0, config: 0 };
  for (const it of unique) totals[it.role] += 1;
  const done = await mapPool(
    unique,
    opts.concurrency,
    async (item) => {
      const label = item.role === "config" ? "config" : `${item.role === "app" ? "app" : "asset"} layer ${++counts[item.role]}/${totals[item.role]}`;
      const action = await uploadBlob({
        client: opts.target,
        blob: item.blob,
        label,
        ...(item.mountFrom ? { sourceRepository: item.mountFrom } : {}),
        ...(opts.retry ? { retry: opts.retry } : {}),
        signal: opts.stop.signal,
        emit: opts.emit,
      });
      if (action !== "uploaded") opts.emit({ type: "step", message: `${label} ${item.blob.digest} ${action}` });
      return action;
    },
    opts.stop,
  );
  const actions = new Map(unique.map((it, i) => [it.blob.digest, done[i] as BlobAction]));
  return items.map((it) => ({
    digest: it.blob.digest,
    size: it.blob.size,
    mediaType: it.blob.mediaType,
    source: it.role,
    action: actions.get(it.blob.digest) ?? "skipped",
  }));
}

/** Bytes per action, for the result's counters. */
export function byteCounts(blobs: readonly TransferredBlob[]): { uploaded: number; mounted: number; skipped: number } {
  const sum = (a: BlobAction) => blobs.filter((b) => b.action === a).reduce((n, b) => n + b.size, 0);
  return { uploaded: sum("uploaded"), mounted: sum("mounted"), skipped: sum("skipped") };
}
