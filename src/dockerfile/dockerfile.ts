import { stat } from "node:fs/promises";
import { join } from "node:path";
import type Docker from "dockerode";
import { UsageError } from "../errors.js";
import type { RunContext } from "../events.js";
import type { Lock } from "../lock/lock.js";
import { lockDigest } from "../lock/lock-digest.js";
import { readState } from "../state/state.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { inspectOrUndefined, resolveAssetImage } from "./asset-image.js";
import { renderDockerfile } from "./render.js";
import { loadLoaderSource, planStorage, type StorageOptions } from "./storage.js";
import { shellSplit } from "./shell-split.js";
import { type DockerfileTarget, loadTemplate } from "./template.js";
import type { AssetImageRef, RenderResult } from "./types.js";

/** The Lambda base image AWS publishes for Python 3.12. */
export const DEFAULT_LAMBDA_BASE = "public.ecr.aws/lambda/python:3.12";

export interface DockerfileOptions {
  lock: Lock;
  projectDir: string;
  target: DockerfileTarget;
  assetImage?: string;
  base?: string;
  handler: string;
  requirements?: string;
  copy: readonly string[];
  cmd?: string;
  link: boolean;
  /** --storage efs|s3 with --mount / --bucket --prefix; default oci (assets baked in from the asset image). */
  storage?: StorageOptions;
  /** Absolute path to write; undefined = return the text only. */
  output?: string;
  version: string;
  /**
   * The local engine, or undefined when unreachable. Used only to resolve an unpinned --asset-image, read
   * a loaded image's labels and measure a local base image; never to pull.
   */
  docker?: Docker;
}

export interface DockerfileResult extends RenderResult {
  /** null with --storage efs|s3: nothing is copied from an asset image. */
  assetImage: AssetImageRef | null;
  storage: { kind: "oci" | "efs" | "s3"; root: string; bucket: string | null; prefix: string | null };
  base: string;
  target: DockerfileTarget;
  lockDigest: string;
  output: string | null;
}

/** Generates (and with `output`, writes atomically) the Dockerfile for the lock and the asset image. */
export async function generateDockerfile(
  opts: DockerfileOptions,
  ctx: RunContext,
): Promise<DockerfileResult> {
  if (opts.target === "generic" && !opts.base) {
    throw new UsageError("--target generic needs --base", {
      hint: "Name the image your application runs on, e.g. --base python:3.12-slim.",
    });
  }
  if (opts.target === "lambda" && opts.cmd) {
    throw new UsageError("--cmd is for --target generic; the lambda target runs --handler", {
      hint: "Use --handler MODULE.FUNCTION, or --target generic --cmd '...'.",
    });
  }
  if (opts.lock.assets.length === 0) {
    throw new UsageError("mlpack.lock.json lists no assets", {
      code: "E_NO_ASSETS",
      hint: "Run `mlpack discover` on a command that downloads models first.",
    });
  }
  const base = opts.base ?? DEFAULT_LAMBDA_BASE;
  const state = await readState(opts.projectDir);
  const digest = lockDigest(opts.lock);
  const warnings: string[] = [];
  const storageOpts = withExportDefaults(opts.storage ?? { storage: "oci" }, state, digest, warnings);
  const storage = planStorage(
    opts.lock,
    storageOpts,
    opts.target === "lambda" ? "${LAMBDA_TASK_ROOT}" : "/app",
    storageOpts.storage === "s3" ? await loadLoaderSource() : undefined,
  );
  let resolved: Awaited<ReturnType<typeof resolveAssetImage>> | undefined;
  if (!storage) {
    resolved = await resolveAssetImage({
      state,
      ...(opts.assetImage !== undefined ? { flag: opts.assetImage } : {}),
      ...(opts.docker ? { docker: opts.docker } : {}),
    });
    warnings.push(...resolved.warnings);
    if (resolved.ref.lockDigest && resolved.ref.lockDigest !== digest) {
      warnings.push(
        `the asset image was built from another mlpack.lock.json (${resolved.ref.lockDigest.slice(0, 19)}, this one is ${digest.slice(0, 19)}); run \`mlpack bundle\` (and load or push) again`,
      );
    }
  } else warnings.push(...storage.warnings);
  const baseInfo = opts.docker ? await inspectOrUndefined(opts.docker, base) : undefined;
  ctx.emit({
    type: "step",
    message: `rendering the ${opts.target} Dockerfile ${resolved ? `from ${resolved.ref.name}` : `for assets on ${storage?.kind}`}`,
  });

  const rendered = renderDockerfile(
    opts.lock,
    {
      target: opts.target,
      base,
      handler: opts.handler,
      ...(opts.cmd !== undefined ? { cmd: shellSplit(opts.cmd) } : {}),
      ...(opts.requirements !== undefined ? { requirements: opts.requirements } : {}),
      copy: opts.copy,
      link: opts.link,
      version: opts.version,
      ...(resolved ? { assetImage: resolved.ref } : {}),
      ...(storage ? { storage } : {}),
      ...(baseInfo?.Size !== undefined ? { baseImageBytes: baseInfo.Size } : {}),
    },
    await loadTemplate(opts.target),
  );
  for (const path of [...rendered.code, ...(opts.requirements ? [opts.requirements] : [])]) {
    const found = await stat(join(opts.projectDir, path)).catch(() => undefined);
    if (!found) warnings.push(`${path} is not in ${opts.projectDir}; the build will fail at its COPY`);
  }
  if (opts.output) await writeFileAtomic(opts.output, rendered.dockerfile);
  return {
    ...rendered,
    warnings: [...warnings, ...rendered.warnings],
    assetImage: resolved?.ref ?? null,
    storage: {
      kind: storageOpts.storage,
      root: rendered.assetRoot,
      bucket: storage?.env.MLPACK_ASSETS_BUCKET ?? null,
      prefix: storage?.kind === "s3" ? (storage.env.MLPACK_ASSETS_PREFIX ?? "") : null,
    },
    base,
    target: opts.target,
    lockDigest: digest,
    output: opts.output ?? null,
  };
}

/**
 * --storage s3 without --bucket: the last `mlpack export --to s3://…` of this project (warning when it exported
 * another lock than this one, whose files the loader would then not find).
 */
function withExportDefaults(
  opts: StorageOptions,
  state: Awaited<ReturnType<typeof readState>>,
  digest: string,
  warnings: string[],
): StorageOptions {
  if (opts.storage !== "s3" || opts.bucket) return opts;
  const last = state.export;
  if (last?.kind !== "s3") return opts;
  if (last.lockDigest !== digest) {
    warnings.push(
      `the last export (s3://${last.bucket}/${last.prefix}) was of another mlpack.lock.json: run \`mlpack export\` again before deploying`,
    );
  }
  return { ...opts, bucket: last.bucket, prefix: opts.prefix ?? last.prefix };
}
