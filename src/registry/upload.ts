import { RegistryError } from "../errors.js";
import type { EmitFn } from "../events.js";
import type { Blob } from "../image/types.js";
import type { RegistryClient } from "./client.js";
import { header } from "./http.js";
import { withRetry } from "./retry.js";
import type { RetryOptions } from "./types.js";

/**
 * Pushing one blob: HEAD (skip what exists), optional cross-repository mount, then POST + one streaming
 * PATCH without Content-Range + `PUT ?digest=` — or a monolithic PUT. Any failure retries the WHOLE blob
 * in a fresh upload session, because ECR answers 416 to a restart inside an existing session.
 */

export type BlobAction = "uploaded" | "skipped" | "mounted";

export interface UploadBlobOptions {
  client: RegistryClient;
  blob: Blob;
  /** Human label for progress events, e.g. "layer 2/5" or "config". */
  label: string;
  sourceRepository?: string;
  /** Send the blob in the closing PUT instead of a PATCH. */
  monolithic?: boolean;
  retry?: RetryOptions;
  signal?: AbortSignal;
  emit: EmitFn;
}

// Spec says 202 for POST/PATCH; ECR answers 201, some registries 204.
const STEP_OK = [201, 202, 204] as const;
/** A registry may re-read (or copy into storage) a whole blob before it answers the final request. */
const COMMIT_BYTES_PER_SECOND = 32 * 1024 * 1024;

/** The first-byte deadline after a blob's bytes went out: the usual one plus time to re-read the blob. */
function commitAllowanceMs(client: RegistryClient, size: number): number {
  return client.transport.deadlines.firstByteMs + Math.ceil(size / COMMIT_BYTES_PER_SECOND) * 1000;
}
const PROGRESS_EVERY_BYTES = 4 * 1024 * 1024;

/** Appends `digest=` to an upload Location without re-encoding the session's own query parameters. */
export function withDigest(location: URL, digest: string): URL {
  const u = new URL(location);
  const extra = `digest=${encodeURIComponent(digest)}`;
  u.search = u.search.length > 1 ? `${u.search}&${extra}` : `?${extra}`;
  return u;
}

export async function uploadBlob(opts: UploadBlobOptions): Promise<BlobAction> {
  const { blob, emit } = opts;
  let monolithic = opts.monolithic ?? false;
  const once = async (): Promise<BlobAction> => {
    try {
      return await attempt(opts, monolithic);
    } catch (err) {
      if (!(err instanceof PatchRejected)) throw err;
      const cause = err.cause;
      // A registry that rejects the streamed PATCH itself may still accept a monolithic PUT.
      if (!monolithic && fallsBack(cause)) {
        monolithic = true;
        const { code, hint, registryCode, status } = cause;
        throw new RegistryError(cause.message, { code, hint, registryCode, status, retryable: true, cause });
      }
      throw cause;
    }
  };
  try {
    return await withRetry(once, {
      ...opts.retry,
      signal: opts.signal,
      onRetry: (error, n, delayMs) => {
        emit({
          type: "progress",
          id: blob.digest,
          label: opts.label,
          done: 0,
          total: blob.size,
          unit: "bytes",
        });
        emit({
          type: "warning",
          message: `Retrying ${opts.label} ${blob.digest} in ${delayMs} ms after attempt ${n}: ${error.message}`,
        });
      },
    });
  } finally {
    emit({ type: "progress-end", id: blob.digest });
  }
}

/** Marks a failure of the streamed PATCH itself, the one step a monolithic PUT can replace. */
class PatchRejected extends Error {
  constructor(override readonly cause: RegistryError) {
    super(cause.message);
  }
}

function fallsBack(e: RegistryError): boolean {
  const s = e.status;
  return s !== undefined && s >= 400 && s < 500 && ![401, 403, 404, 408, 429].includes(s);
}

async function attempt(opts: UploadBlobOptions, monolithic: boolean): Promise<BlobAction> {
  const { client, blob, emit } = opts;
  const repo = client.repository;
  const head = await client.send({
    operation: "blob-check",
    method: "HEAD",
    target: `/v2/${repo}/blobs/${blob.digest}`,
    expect: [200, 404],
  });
  if (head.status === 200) return "skipped";

  let start = await startSession(opts);
  if (start === "mounted") return "mounted";

  let last = 0;
  const progress = (sent: number) => {
    if (sent - last < PROGRESS_EVERY_BYTES && sent !== blob.size) return;
    last = sent;
    emit({
      type: "progress",
      id: blob.digest,
      label: opts.label,
      done: sent,
      total: blob.size,
      unit: "bytes",
    });
  };
  const stream = {
    "content-type": "application/octet-stream",
    "content-length": String(blob.size),
  };
  if (!monolithic) {
    try {
      const patched = await client.send({
        operation: "upload-patch",
        method: "PATCH",
        target: start,
        headers: stream,
        body: () => blob.open(),
        expect: STEP_OK,
        onProgress: progress,
        firstByteMs: commitAllowanceMs(client, blob.size),
      });
      // Tolerate a missing Location on the PATCH answer: the session URL is unchanged then.
      if (header(patched, "location")) start = client.location(patched, "upload-patch");
    } catch (err) {
      if (err instanceof RegistryError) throw new PatchRejected(err);
      throw err;
    }
  }
  const done = await client.send({
    operation: "upload-finish",
    method: "PUT",
    target: withDigest(start, blob.digest),
    ...(monolithic ? { headers: stream, body: () => blob.open(), onProgress: progress } : {}),
    expect: STEP_OK,
    firstByteMs: commitAllowanceMs(client, blob.size),
  });
  const echoed = header(done, "docker-content-digest");
  if (echoed && echoed !== blob.digest) {
    throw new RegistryError(`${client.host} stored ${blob.digest} under digest ${echoed}`, {
      registryCode: "DIGEST_INVALID",
      status: done.status,
      hint: "The registry computed a different digest; rebuild the image with mlpack bundle.",
    });
  }
  return "uploaded";
}

/** POST a new upload session, trying a cross-repository mount first when a source is known. */
async function startSession(opts: UploadBlobOptions): Promise<URL | "mounted"> {
  const { client, blob, sourceRepository } = opts;
  const uploads = `/v2/${client.repository}/blobs/uploads/`;
  if (sourceRepository && sourceRepository !== client.repository) {
    const q = `?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(sourceRepository)}`;
    try {
      const res = await client.send({
        operation: "blob-mount",
        method: "POST",
        target: uploads + q,
        expect: STEP_OK,
      });
      if (res.status === 201) return "mounted";
      // 202: the registry declined to mount (ECR only mounts manifest-referenced blobs); upload here.
      return client.location(res, "blob-mount");
    } catch (err) {
      // Like crane: a failed mount is not fatal; a plain upload session follows.
      if (!(err instanceof RegistryError) || err.retryable || err.status === 401) throw err;
    }
  }
  const res = await client.send({
    operation: "upload-start",
    method: "POST",
    target: uploads,
    expect: STEP_OK,
  });
  return client.location(res, "upload-start");
}
