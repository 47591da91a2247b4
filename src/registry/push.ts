import { createHash } from "node:crypto";
import { InterruptedError, throwIfAborted, UsageError } from "../errors.js";
import { type EmitFn, noopEmit } from "../events.js";
import type { Blob, ImageSource } from "../image/types.js";
import { RegistryClient } from "./client.js";
import type { Deadlines } from "./http.js";
import { manifestState, pushManifest } from "./manifest.js";
import { mapPool } from "./pool.js";
import { withRetry } from "./retry.js";
import type { CredentialsProvider, RetryOptions } from "./types.js";
import { type BlobAction, uploadBlob } from "./upload.js";

export interface PushImageOptions {
  image: ImageSource;
  /** "host[:port]" (an "https://" or loopback "http://" prefix is accepted too). */
  registry: string;
  repository: string;
  tag: string;
  auth: CredentialsProvider | undefined;
  /** Blobs uploaded at once (default 4). */
  concurrency?: number;
  /** A repository on the same registry to mount existing blobs from. */
  sourceRepository?: string;
  /** Upload each blob in the closing PUT rather than a streamed PATCH. */
  monolithic?: boolean;
  emit?: EmitFn;
  signal?: AbortSignal;
  retry?: RetryOptions;
  /** Extra CA certificate(s) to trust (NODE_EXTRA_CA_CERTS is honoured by Node itself). */
  ca?: string | Buffer;
  /** Per-request deadlines (default DEFAULT_DEADLINES). */
  deadlines?: Partial<Deadlines>;
}

export interface PushedBlob {
  digest: string;
  size: number;
  action: BlobAction;
}

export interface PushImageResult {
  /** "<registry>/<repository>@sha256:…" */
  reference: string;
  digest: string;
  uploadedBytes: number;
  skippedBytes: number;
  blobs: PushedBlob[];
  manifestAction: "put" | "skipped";
}

const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/**
 * Pushes an image: every layer not already there (bounded concurrency), then the config, then the
 * manifest under `tag`. When the tag already points at the same digest nothing else is sent (ping + one
 * HEAD: the no-op re-push, and immutable tags stay untouched); when the digest exists under another tag its
 * blobs are there too, so only the manifest is PUT. Progress is emitted as events; failures are
 * RegistryError values; an aborted signal → InterruptedError.
 */
export async function pushImage(opts: PushImageOptions): Promise<PushImageResult> {
  const emit = opts.emit ?? noopEmit;
  throwIfAborted(opts.signal);
  if (!REPOSITORY.test(opts.repository) || opts.repository.length > 255) {
    throw new UsageError(`Invalid repository name "${opts.repository}"`, {
      hint: "Use lowercase letters, digits and . _ - separators, optionally with / path segments.",
    });
  }
  if (!TAG.test(opts.tag)) {
    throw new UsageError(`Invalid tag "${opts.tag}"`, {
      hint: "Tags match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}.",
    });
  }
  const actual = `sha256:${createHash("sha256").update(opts.image.manifest).digest("hex")}`;
  if (actual !== opts.image.manifestDigest) {
    throw new UsageError(`The image manifest hashes to ${actual}, not ${opts.image.manifestDigest}`, {
      hint: "The image on disk is inconsistent; rebuild it with mlpack bundle.",
    });
  }

  // One controller for the whole push: a failed blob cancels the others still in flight.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const client = new RegistryClient({
    registry: opts.registry,
    repository: opts.repository,
    auth: opts.auth,
    sourceRepository: opts.sourceRepository,
    ca: opts.ca,
    signal: stop.signal,
    ...(opts.deadlines ? { deadlines: opts.deadlines } : {}),
  });
  const retry = { ...opts.retry, signal: stop.signal };
  const sum = (bs: PushedBlob[]) => bs.reduce((n, b) => n + b.size, 0);
  const result = (blobs: PushedBlob[], manifestAction: "put" | "skipped"): PushImageResult => {
    const uploaded = blobs.filter((b) => b.action === "uploaded");
    return {
      reference: `${client.host}/${opts.repository}@${opts.image.manifestDigest}`,
      digest: opts.image.manifestDigest,
      uploadedBytes: sum(uploaded),
      skippedBytes: sum(blobs) - sum(uploaded),
      blobs,
      manifestAction,
    };
  };
  try {
    emit({ type: "step", message: `Pushing to ${client.host}/${opts.repository}:${opts.tag}` });
    await withRetry(() => client.ping(), retry);
    const layers = dedupe(opts.image.layers);
    const all = [...layers, opts.image.config];
    const state = await manifestState(client, opts.image, opts.tag, retry);
    if (state === "tagged") {
      emit({ type: "step", message: `Tag ${opts.tag} already points at ${opts.image.manifestDigest}; nothing to push` });
      return result(all.map((b) => ({ digest: b.digest, size: b.size, action: "skipped" })), "skipped");
    }
    if (state === "present") {
      // The registry accepted this manifest once, so every blob it references is there.
      await pushManifest({ client, image: opts.image, tag: opts.tag, retry, emit });
      return result(all.map((b) => ({ digest: b.digest, size: b.size, action: "skipped" })), "put");
    }
    const push = (blob: Blob, label: string) =>
      uploadBlob({
        client,
        blob,
        label,
        sourceRepository: opts.sourceRepository,
        monolithic: opts.monolithic,
        retry: opts.retry,
        signal: stop.signal,
        emit,
      }).then((action): PushedBlob => {
        if (action !== "uploaded") emit({ type: "step", message: `${label} ${blob.digest} ${action}` });
        return { digest: blob.digest, size: blob.size, action };
      });
    const pushed = await mapPool(
      layers,
      opts.concurrency ?? 4,
      (blob, i) => push(blob, `layer ${i + 1}/${layers.length}`),
      stop,
    );
    pushed.push(await push(opts.image.config, "config"));
    await pushManifest({ client, image: opts.image, tag: opts.tag, retry, emit });
    return result(pushed, "put");
  } catch (err) {
    if (opts.signal?.aborted) throw new InterruptedError();
    throw err;
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    client.close();
  }
}

function dedupe(blobs: Blob[]): Blob[] {
  const seen = new Set<string>();
  return blobs.filter((b) => !seen.has(b.digest) && seen.add(b.digest));
}
