import { UsageError } from "../errors.js";
import type { RunContext } from "../events.js";
import type { ImageSource } from "../image/types.js";
import { dockerConfigProvider } from "../registry/docker-config.js";
import { type PushImageResult, pushImage } from "../registry/push.js";

export interface PushTarget {
  /** Any OCI registry (host[:port]); undefined = ECR via the AWS SDK default chain. */
  registry?: string;
  repository: string;
  /** Default: sha-<12 hex of the manifest digest>. */
  tag?: string;
  region?: string;
  profile?: string;
  createRepository: boolean;
  concurrency: number;
  env: NodeJS.ProcessEnv;
}

export interface PushAssetResult extends PushImageResult {
  registry: string;
  repository: string;
  tag: string;
}

/** `sha-<12 hex>` of the image digest: immutable-tag friendly and readable. */
export function defaultPushTag(manifestDigest: string): string {
  return `sha-${manifestDigest.slice("sha256:".length, "sha256:".length + 12)}`;
}

/**
 * Pushes the asset image to ECR (auth via GetAuthorizationToken, repository created when allowed) or, with
 * `registry`, to any OCI registry using Docker's credential store.
 */
export async function pushAssetImage(
  image: ImageSource,
  target: PushTarget,
  ctx: RunContext,
): Promise<PushAssetResult> {
  if (!Number.isInteger(target.concurrency) || target.concurrency < 1) {
    throw new UsageError(`--concurrency must be a whole number ≥ 1, got ${target.concurrency}`);
  }
  const tag = target.tag ?? defaultPushTag(image.manifestDigest);
  const common = {
    image,
    repository: target.repository,
    tag,
    concurrency: target.concurrency,
    emit: ctx.emit,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
  if (target.registry) {
    const result = await pushImage({
      ...common,
      registry: target.registry,
      auth: dockerConfigProvider({ env: target.env }),
    });
    return { ...result, registry: target.registry, repository: target.repository, tag };
  }
  // The AWS SDK is large: it is loaded only when the push goes to ECR.
  const { EcrSession } = await import("../registry/ecr.js");
  const ecr = new EcrSession({
    ...(target.region ? { region: target.region } : {}),
    ...(target.profile ? { profile: target.profile } : {}),
  });
  try {
    await ecr.ensureRepository(target.repository, {
      createRepository: target.createRepository,
      emit: ctx.emit,
    });
    const auth = await ecr.authorization();
    const result = await pushImage({ ...common, registry: auth.endpoint, auth: ecr.credentialsProvider() });
    return { ...result, registry: auth.registry, repository: target.repository, tag };
  } finally {
    ecr.close();
  }
}
