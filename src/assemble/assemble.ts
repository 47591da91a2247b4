import { Readable } from "node:stream";
import { LABEL_ASSET_ROOT, LABEL_LOCK_DIGEST, LABEL_VERSION } from "../bundle/labels.js";
import { LAMBDA_RUNTIME_ENV } from "../catalog/hygiene.js";
import { planEnv } from "../dockerfile/env-block.js";
import { CheckFailedError, InterruptedError, throwIfAborted, UsageError } from "../errors.js";
import { type EmitFn, noopEmit } from "../events.js";
import type { Blob } from "../image/types.js";
import { checkImage, type StaticCheckResult } from "../lambda-rules/check-image.js";
import type { LayoutImageReader } from "../lambda-rules/layout-source.js";
import type { ScanCache } from "../lambda-rules/scan-cache.js";
import type { Lock } from "../lock/lock.js";
import { lockDigest } from "../lock/lock-digest.js";
import { RegistryClient } from "../registry/client.js";
import type { Deadlines } from "../registry/http.js";
import { manifestState, pushManifest } from "../registry/manifest.js";
import type { Descriptor, ImageManifest } from "../registry/media-types.js";
import { formatReference, type ImageReference, manifestReference, parseReference } from "../registry/reference.js";
import { type FetchedManifest, type ImageReader, RegistryImageReader, resolveImage } from "../registry/remote.js";
import { withRetry } from "../registry/retry.js";
import type { CredentialsProvider, RetryOptions } from "../registry/types.js";
import type { EngineImage } from "./engine-image.js";
import { type AssemblyPlan, type ImageConfig, planAssembly } from "./plan.js";
import { byteCounts, type TransferItem, type TransferredBlob, transferBlobs } from "./transfer.js";

/**
 * `mlpack assemble`: the app image plus the asset image's layers by reference. Nothing is built and the
 * assets never pass through this machine when the registry can help: each asset blob is skipped (already in
 * the target repository), mounted from the asset repository (same registry), or else streamed registry to
 * registry. The planned image is checked against Lambda's deploy-time rules before anything is tagged.
 */

export interface AssembleOptions {
  /** A registry reference, or the name of an image in the local Docker engine. */
  app: string;
  /** The asset image, a registry reference (pinned by digest after `mlpack push`). */
  assets: string;
  /** Repository of the result (default: the app image's). */
  repository?: string;
  /** Tag of the result (default sha-<12 hex of its digest>). */
  tag?: string;
  platform?: string;
  lock: Lock;
  version: string;
  credentials: CredentialsProvider;
  /** Reads a local engine image (only called when `app` names no registry). */
  engineImage?: (name: string) => Promise<EngineImage>;
  /** The project's OCI layout: asset layers are checked from it when they are there. */
  assetLayout?: LayoutImageReader;
  scanCache?: ScanCache;
  /** Whether the registry mounts blobs (ECR's BLOB_MOUNTING); false → a warning that blobs are copied. */
  blobMounting?: (host: string) => Promise<boolean | undefined>;
  concurrency?: number;
  ca?: string | Buffer;
  deadlines?: Partial<Deadlines>;
  retry?: RetryOptions;
  emit?: EmitFn;
  signal?: AbortSignal;
}

export interface AssembleResult {
  /** "<registry>/<repository>@sha256:…": SAM's ImageUri. */
  reference: string;
  digest: string;
  registry: string;
  repository: string;
  tag: string;
  mediaType: string;
  /** The inputs, pinned by digest. */
  app: string;
  assets: string;
  layers: TransferredBlob[];
  bytes: { uploaded: number; mounted: number; skipped: number };
  manifestAction: "put" | "skipped";
  /** Variables the result sets that the app image did not (or set otherwise). */
  env: Record<string, string>;
  check: StaticCheckResult;
}

export const LABEL_APP = "dev.mlpack.app";
export const LABEL_ASSETS = "dev.mlpack.assets";

/** One input image: its manifest, config, and where its blobs are read from. */
interface Input {
  ref: ImageReference;
  name: string;
  manifest: { digest: string; mediaType: string; json: ImageManifest };
  config: ImageConfig;
  blob(d: Descriptor): Blob | undefined;
}

function pinned(ref: ImageReference, digest: string): string {
  return formatReference({ ...ref, tag: undefined, digest });
}

async function fromRegistry(reader: RegistryImageReader, ref: ImageReference, platform: string | undefined): Promise<Input> {
  const { manifest } = await resolveImage(reader, manifestReference(ref), platform);
  const config = JSON.parse((await reader.blobBytes(manifest.json.config)).toString("utf8")) as ImageConfig;
  return { ref, name: pinned(ref, manifest.digest), manifest, config, blob: (d) => reader.blob(d) };
}

function fromEngine(image: EngineImage, ref: ImageReference): Input {
  return {
    ref,
    name: `${image.name} (local image ${image.id.slice(0, 19)})`,
    manifest: { digest: image.manifestDigest, mediaType: image.mediaType, json: image.manifest },
    config: JSON.parse(image.configBytes.toString("utf8")) as ImageConfig,
    blob: (d) => image.blobs.get(d.digest),
  };
}

/** The planned result as an ImageReader, so the static check runs before anything is tagged. */
function plannedReader(plan: AssemblyPlan, name: string, blobOf: (d: Descriptor) => Blob): ImageReader {
  const fetched: FetchedManifest = {
    bytes: plan.manifest,
    digest: plan.manifestDigest,
    mediaType: plan.manifestMediaType,
    json: JSON.parse(plan.manifest.toString("utf8")) as ImageManifest,
  };
  return { name, manifest: async () => fetched, blobBytes: async () => plan.config, blob: blobOf };
}

/** The asset image must be the bundle of this lock: its ENV is what the lock says. */
function checkAssetLock(labels: Record<string, string>, lock: Lock, assets: string, emit: EmitFn): string {
  const wanted = lockDigest(lock);
  const built = labels[LABEL_LOCK_DIGEST];
  if (built === undefined) {
    emit({
      type: "warning",
      message: `${assets} carries no ${LABEL_LOCK_DIGEST} label (not built by mlpack bundle): its ENV comes from mlpack.lock.json unchecked`,
    });
  } else if (built !== wanted) {
    throw new UsageError(`${assets} was built from another mlpack.lock.json (${built}; the lock here is ${wanted})`, {
      code: "E_ASSET_IMAGE_STALE",
      hint: "Run mlpack bundle and mlpack push for this lock, then assemble again (or pass --assets for its image).",
    });
  }
  return wanted;
}

export async function assemble(opts: AssembleOptions): Promise<AssembleResult> {
  const emit = opts.emit ?? noopEmit;
  throwIfAborted(opts.signal);
  const appRef = parseReference(opts.app);
  const assetRef = parseReference(opts.assets);
  if (!assetRef.registry) {
    throw new UsageError(`--assets ${opts.assets} names no registry`, {
      code: "E_BAD_REFERENCE",
      hint: "Push the asset image first (mlpack push) or give host[:port]/repository@sha256:… .",
    });
  }
  if (!appRef.registry && !opts.engineImage) {
    throw new UsageError(`--app ${opts.app} names no registry`, { code: "E_BAD_REFERENCE" });
  }
  // A local app image goes to the asset image's registry.
  const registry = appRef.registry ?? assetRef.registry;
  const repository = opts.repository ?? appRef.repository;
  const mountFrom = (ref: ImageReference) =>
    ref.registry === registry && ref.repository !== repository ? ref.repository : undefined;

  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const retry = { ...opts.retry, signal: stop.signal };
  const clients: RegistryClient[] = [];
  const client = (host: string, repo: string, sources: string[] = []) => {
    const c = new RegistryClient({
      registry: host,
      repository: repo,
      sourceRepositories: sources,
      auth: opts.credentials,
      signal: stop.signal,
      ...(opts.ca === undefined ? {} : { ca: opts.ca }),
      ...(opts.deadlines ? { deadlines: opts.deadlines } : {}),
    });
    clients.push(c);
    return c;
  };
  const sources = [appRef, assetRef].map(mountFrom).filter((r): r is string => r !== undefined);
  const target = client(registry, repository, sources);
  let engine: EngineImage | undefined;
  try {
    emit({ type: "step", message: `Reading ${opts.app} and ${opts.assets}` });
    const assetsIn = await fromRegistry(new RegistryImageReader(client(assetRef.registry, assetRef.repository), retry), assetRef, opts.platform);
    let app: Input;
    if (appRef.registry) {
      app = await fromRegistry(new RegistryImageReader(client(appRef.registry, appRef.repository), retry), appRef, opts.platform);
    } else {
      engine = await (opts.engineImage as (name: string) => Promise<EngineImage>)(opts.app);
      app = fromEngine(engine, appRef);
    }

    const assetLabels = assetsIn.config.config?.Labels ?? {};
    const lockDigestHere = checkAssetLock(assetLabels, opts.lock, assetsIn.name, emit);
    const assetRoot = assetLabels[LABEL_ASSET_ROOT] ?? opts.lock.assetRoot;
    const envPlan = planEnv(opts.lock, assetRoot, false);
    for (const w of envPlan.warnings) emit({ type: "warning", message: w });
    const plan = planAssembly({
      app: { role: "app", name: app.name, digest: app.manifest.digest, mediaType: app.manifest.mediaType, manifest: app.manifest.json, config: app.config },
      assets: { role: "assets", name: assetsIn.name, digest: assetsIn.manifest.digest, mediaType: assetsIn.manifest.mediaType, manifest: assetsIn.manifest.json, config: assetsIn.config },
      assetEnv: envPlan.env,
      defaultEnv: { ...LAMBDA_RUNTIME_ENV },
      labels: {
        [LABEL_LOCK_DIGEST]: lockDigestHere,
        [LABEL_ASSET_ROOT]: assetRoot,
        [LABEL_VERSION]: opts.version,
        [LABEL_ASSETS]: assetsIn.name,
        [LABEL_APP]: engine ? `${opts.app}@${engine.id}` : app.name,
      },
    });
    // Relabelled layers are the same bytes under the family's name: worth a line, not a warning.
    for (const note of plan.notes) emit({ type: "step", message: note });
    for (const note of plan.env.notes) emit({ type: "warning", message: note });
    const tag = opts.tag ?? `sha-${plan.manifestDigest.slice(7, 19)}`;
    const reference = `${target.host}/${repository}@${plan.manifestDigest}`;

    const appDigests = new Set(plan.appLayers.map((l) => l.digest));
    const items: TransferItem[] = [...plan.appLayers, ...plan.assetLayers].map((d) => {
      const input = appDigests.has(d.digest) ? app : assetsIn;
      const blob = input.blob(d);
      if (!blob) throw new Error(`no source for layer ${d.digest}`);
      const from = mountFrom(input.ref);
      return { blob: { ...blob, mediaType: d.mediaType }, role: input === app ? "app" : "assets", ...(from ? { mountFrom: from } : {}) };
    });
    const blobOf = (d: Descriptor) => items.find((it) => it.blob.digest === d.digest)?.blob as Blob;

    // Lambda's deploy-time rules on the planned image, before anything is tagged.
    const check = await checkImage({
      reader: plannedReader(plan, reference, blobOf),
      reference: plan.manifestDigest,
      name: reference,
      assetRoot,
      layerSource: async (d) => (!appDigests.has(d.digest) && (await opts.assetLayout?.has(d)) ? opts.assetLayout?.blob(d) : undefined),
      ...(opts.scanCache ? { cache: opts.scanCache } : {}),
      emit,
      signal: stop.signal,
    });
    for (const f of check.findings) if (f.severity === "warning") emit({ type: "warning", message: f.message });
    if (!check.ok) {
      const errors = check.findings.filter((f) => f.severity === "error").map((f) => `  - [${f.rule}] ${f.message}`);
      throw new CheckFailedError([`${reference} would not deploy to Lambda:`, ...errors].join("\n"), {
        code: "E_LAMBDA_RULES",
        hint: "Nothing was tagged. Fix the app image (or the assets) and assemble again.",
        details: check,
      });
    }

    emit({ type: "step", message: `Assembling ${target.host}/${repository}:${tag}` });
    await withRetry(() => target.ping(), retry);
    const image = { manifest: plan.manifest, manifestDigest: plan.manifestDigest, manifestMediaType: plan.manifestMediaType };
    const config: Blob = { ...plan.configDescriptor, open: () => Readable.from([plan.config]) };
    let layers: TransferredBlob[];
    let manifestAction: "put" | "skipped";
    if ((await manifestState(target, image, tag, retry)) === "tagged") {
      emit({ type: "step", message: `Tag ${tag} already points at ${plan.manifestDigest}; nothing to push` });
      layers = [...items, { blob: config, role: "config" as const }].map((it) => ({
        digest: it.blob.digest,
        size: it.blob.size,
        mediaType: it.blob.mediaType,
        source: it.role,
        action: "skipped" as const,
      }));
      manifestAction = "skipped";
    } else {
      if (sources.length > 0 && (await opts.blobMounting?.(target.host)) === false) {
        emit({
          type: "warning",
          message: `blob mounting is off for ${target.host} (ECR account setting BLOB_MOUNTING): the layers are copied inside the registry instead (GET + PUT); aws ecr put-account-setting --name BLOB_MOUNTING --value ENABLED turns it on`,
        });
      }
      const transfer = { target, concurrency: opts.concurrency ?? 4, stop, emit, ...(opts.retry ? { retry: opts.retry } : {}) };
      layers = await transferBlobs(items, transfer);
      // The config only after every layer: a manifest must never name a blob that is not there.
      layers.push(...(await transferBlobs([{ blob: config, role: "config" }], transfer)));
      await pushManifest({ client: target, image, tag, retry, emit });
      manifestAction = "put";
    }
    return {
      reference,
      digest: plan.manifestDigest,
      registry: target.host,
      repository,
      tag,
      mediaType: plan.manifestMediaType,
      app: app.name,
      assets: assetsIn.name,
      layers,
      bytes: byteCounts(layers),
      manifestAction,
      env: Object.fromEntries(plan.env.changes.filter((c) => c.action !== "kept").map((c) => [c.name, c.value])),
      check,
    };
  } catch (err) {
    if (opts.signal?.aborted) throw new InterruptedError();
    throw err;
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    for (const c of clients) c.close();
    await engine?.cleanup();
  }
}
