import { stat } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import type Docker from "dockerode";
import { MlpackError, UsageError } from "../errors.js";
import type { RunContext } from "../events.js";
import type { Lock } from "../lock/lock.js";
import { lockDigest } from "../lock/lock-digest.js";
import { readState } from "../state/state.js";
import { asList, parseEnvList } from "../docker/env-list.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { fsError } from "../util/fs-errors.js";
import { inspectOrUndefined, resolveAssetImage } from "./asset-image.js";
import { type DockerignoreResult, ensureDockerignore } from "./dockerignore.js";
import { LAMBDA_TASK_ROOT, renderDockerfile } from "./render.js";
import { loadLoaderSource, planStorage, type StorageOptions } from "./storage.js";
import { shellSplit } from "./shell-split.js";
import { type DockerfileTarget, loadTemplate } from "./template.js";
import type { AssetImageRef, RenderResult } from "./types.js";
import { loadWrapperScript, needsWrapper, planViews } from "./wrapper.js";

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
  /** false: the app-only Dockerfile for `mlpack assemble` (no asset stage, COPY or ENV); no pin needed. */
  assets?: boolean;
  /** Absolute path to write; undefined = return the text only. */
  output?: string;
  version: string;
  /**
   * The local engine, or undefined when unreachable. Used only to resolve an unpinned --asset-image, read
   * a loaded image's labels and inspect a local base image (size, ENTRYPOINT, LAMBDA_TASK_ROOT); never to pull.
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
  /** The `.dockerignore` written or extended next to the build context with -o, else null. */
  dockerignore: DockerignoreResult | null;
}

/**
 * Generates (and with `output`, writes atomically) the Dockerfile for the lock and the asset image. With
 * `output`, `.mlpack/` is also kept out of the project's build context through its `.dockerignore`.
 */
export async function generateDockerfile(
  opts: DockerfileOptions,
  ctx: RunContext,
): Promise<DockerfileResult> {
  const withAssets = opts.assets !== false;
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
  if (withAssets && opts.lock.assets.length === 0) {
    throw new UsageError("mlpack.lock.json lists no assets", {
      code: "E_NO_ASSETS",
      hint: "Run `mlpack discover` on a command that downloads models first.",
    });
  }
  if (opts.output) await checkOutput(opts.output);
  const base = opts.base ?? DEFAULT_LAMBDA_BASE;
  const digest = lockDigest(opts.lock);
  const warnings: string[] = [];
  const state = await readState(opts.projectDir);
  const storageOpts = withExportDefaults(opts.storage ?? { storage: "oci" }, state, digest, warnings);
  if (!withAssets && storageOpts.storage !== "oci") {
    throw new UsageError(`--no-assets and --storage ${storageOpts.storage} exclude each other`, {
      hint: "--no-assets writes the app image for `mlpack assemble`; --storage efs|s3 writes a whole function image whose assets live outside it. Pick one.",
    });
  }
  let assetImage: AssetImageRef | undefined;
  if (withAssets && storageOpts.storage === "oci") {
    const resolved = await resolveAssetImage({
      state,
      lockDigest: digest,
      ...(opts.assetImage !== undefined ? { flag: opts.assetImage } : {}),
      ...(opts.docker ? { docker: opts.docker } : {}),
    });
    assetImage = resolved.ref;
    warnings.push(...resolved.warnings);
    if (resolved.ref.lockDigest && resolved.ref.lockDigest !== digest) {
      warnings.push(
        `the asset image ${resolved.ref.name} was built from another mlpack.lock.json (${resolved.ref.lockDigest.slice(0, 19)}, this one is ${digest.slice(0, 19)}); run \`mlpack bundle\` (and load or push) again`,
      );
    }
  }
  const baseInfo = opts.docker ? await inspectOrUndefined(opts.docker, base) : undefined;
  const baseEnv = baseInfo ? parseEnvList(baseInfo.Config?.Env ?? []) : undefined;
  if (opts.target === "lambda" && baseEnv && baseEnv.LAMBDA_TASK_ROOT === undefined) {
    warnings.push(
      `${base} sets no LAMBDA_TASK_ROOT, so it is not an AWS Lambda base image: the code goes to /var/task, and CMD ["${opts.handler}"] needs Lambda's runtime interface client (for other bases use --target generic --cmd)`,
    );
  }
  const taskRoot = opts.target === "lambda" ? (baseEnv?.LAMBDA_TASK_ROOT ?? LAMBDA_TASK_ROOT) : "/app";
  const storage = planStorage(
    opts.lock,
    storageOpts,
    taskRoot,
    storageOpts.storage === "s3" ? await loadLoaderSource() : undefined,
  );
  if (storage) warnings.push(...storage.warnings);
  ctx.emit({
    type: "step",
    message: `rendering the ${opts.target} Dockerfile${assetImage ? ` from ${assetImage.name}` : storage ? ` for assets on ${storage.kind}` : " without assets"}`,
  });

  const code = opts.copy.map((p) => projectPath(p, opts.projectDir, "--copy"));
  const requirements =
    opts.requirements === undefined ? undefined : projectPath(opts.requirements, opts.projectDir, "--requirements");
  const views = planViews(opts.lock, opts.lock.assetRoot);
  const rendered = renderDockerfile(
    opts.lock,
    {
      target: opts.target,
      base,
      handler: opts.handler,
      ...(opts.cmd !== undefined ? { cmd: shellSplit(opts.cmd) } : {}),
      ...(requirements !== undefined ? { requirements } : {}),
      copy: code,
      link: opts.link,
      version: opts.version,
      assets: withAssets,
      ...(storage ? { storage } : {}),
      ...(assetImage ? { assetImage } : {}),
      ...(baseEnv?.LAMBDA_TASK_ROOT ? { taskRoot: baseEnv.LAMBDA_TASK_ROOT } : {}),
      ...(baseInfo ? { baseEntrypoint: asList(baseInfo.Config?.Entrypoint), baseCmd: asList(baseInfo.Config?.Cmd) } : {}),
      ...(baseInfo?.Size !== undefined ? { baseImageBytes: baseInfo.Size } : {}),
    },
    await loadTemplate(opts.target),
    needsWrapper(views) ? await loadWrapperScript() : undefined,
  );
  for (const path of [...rendered.code, ...(requirements ? [requirements] : [])]) {
    const found = await stat(join(opts.projectDir, path)).catch(() => undefined);
    if (!found) warnings.push(`${path} is not in ${opts.projectDir}; the build will fail at its COPY`);
  }
  let dockerignore: DockerignoreResult | null = null;
  if (opts.output) {
    await writeFileAtomic(opts.output, rendered.dockerfile, {
      createParents: false,
      action: "writing the Dockerfile",
    });
    // The Dockerfile is written; a project folder that refuses the .dockerignore only costs build time.
    dockerignore = await ensureDockerignore(opts.projectDir).catch((error: unknown) => {
      if (!(error instanceof MlpackError)) throw error;
      warnings.push(`could not keep .mlpack/ out of the build context: ${error.message}`);
      return null;
    });
  }
  return {
    ...rendered,
    warnings: [...warnings, ...rendered.warnings],
    assetImage: assetImage ?? null,
    storage: {
      kind: storage?.kind ?? "oci",
      root: rendered.assetRoot,
      bucket: storage?.env.MLPACK_ASSETS_BUCKET ?? null,
      prefix: storage?.kind === "s3" ? (storage.env.MLPACK_ASSETS_PREFIX ?? "") : null,
    },
    base,
    target: opts.target,
    lockDigest: digest,
    output: opts.output ?? null,
    dockerignore,
  };
}

/**
 * Fails fast, naming the user's path, where the write would fail late or do the wrong thing: a directory
 * in place of the file, a parent folder that does not exist (it is never created: a typo must not make
 * folders) or is not a folder. The write itself maps permission and disk errors the same way.
 */
async function checkOutput(output: string): Promise<void> {
  const action = "writing the Dockerfile";
  const found = await stat(output).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fsError(error, { path: output, action });
  });
  if (found?.isDirectory()) throw fsError({ code: "EISDIR" }, { path: output, action });
  const parent = dirname(output);
  const folder = await stat(parent).catch((error: unknown) => {
    throw fsError(error, { path: parent, action, isDir: true });
  });
  if (!folder.isDirectory()) throw fsError({ code: "ENOTDIR" }, { path: parent, action });
}

/**
 * A --copy/--requirements path relative to the project, which is the build context every COPY line assumes.
 * An absolute path is accepted when it lies inside the project.
 */
function projectPath(path: string, projectDir: string, flag: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(projectDir, path);
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new UsageError(`${flag} ${path} is outside the project ${projectDir} (the build context)`, {
      code: "E_OUTSIDE_PROJECT",
      hint: "COPY can only read files inside the build context: move it into the project or give a path inside it.",
    });
  }
  return rel.split(sep).join("/");
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
