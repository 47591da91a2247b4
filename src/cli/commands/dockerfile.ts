import { realpath } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type Docker from "dockerode";
import { connectDocker } from "../../docker/client.js";
import { type DockerfileTarget, generateDockerfile } from "../../dockerfile/index.js";
import { DEFAULT_MOUNT, type Storage } from "../../dockerfile/storage.js";
import { DockerUnavailableError, UsageError } from "../../errors.js";
import { LOCK_FILE, readLock } from "../../lock/lock.js";
import type { CommandContext } from "./index.js";

/** The engine is optional here (it only refines the output), so an unreachable one is not an error. */
async function optionalDocker(env: NodeJS.ProcessEnv): Promise<Docker | undefined> {
  try {
    return await connectDocker({ env, timeoutMs: 3_000 });
  } catch (error) {
    if (error instanceof DockerUnavailableError) return undefined;
    throw error;
  }
}

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/**
 * `-o` as an absolute path. A relative one (mlpack.json may only hold those) must not leave the project through
 * a symlinked folder either; an absolute path, or one that climbs out with `..`, was typed by whoever runs
 * mlpack (mlpack.json values are refused at load) and is taken as given.
 */
export async function resolveOutput(cwd: string, value: string): Promise<string> {
  const output = resolve(cwd, value);
  if (isAbsolute(value) || !inside(cwd, output)) return output;
  const [realProject, realParent] = await Promise.all([
    realpath(cwd).catch(() => cwd),
    realpath(dirname(output)).catch(() => undefined),
  ]);
  if (realParent !== undefined && !inside(realProject, realParent)) {
    throw new UsageError(`-o ${value} leads outside the project through a symlink (to ${realParent})`, {
      code: "E_OUTSIDE_PROJECT",
      hint: "To write there on purpose, pass the absolute path on the command line: -o /full/path/Dockerfile.",
    });
  }
  return output;
}

export async function runDockerfile(ctx: CommandContext): Promise<void> {
  const s = ctx.settings;
  const lock = await readLock(join(ctx.cwd, LOCK_FILE));
  const output = s.output ? await resolveOutput(ctx.cwd, s.output as string) : undefined;
  const storage = s.storage as Storage;
  // A storage flag for another --storage would do nothing: say so instead of ignoring it.
  const stray =
    storage !== "s3" && (s.bucket !== undefined || s.prefix !== undefined)
      ? ["--bucket/--prefix", "s3"]
      : storage !== "efs" && s.mount !== DEFAULT_MOUNT
        ? ["--mount", "efs"]
        : undefined;
  if (stray) {
    throw new UsageError(`${stray[0]} is for --storage ${stray[1]}, and this is --storage ${storage}`, {
      hint: `Add --storage ${stray[1]}, or drop ${stray[0]} (from mlpack.json too).`,
    });
  }
  const docker = await optionalDocker(ctx.env);
  const result = await generateDockerfile(
    {
      lock,
      projectDir: ctx.cwd,
      target: s.target as DockerfileTarget,
      ...(s.assetImage ? { assetImage: s.assetImage as string } : {}),
      ...(s.base ? { base: s.base as string } : {}),
      handler: s.handler as string,
      ...(s.requirements ? { requirements: s.requirements as string } : {}),
      copy: (s.copy as string[] | undefined) ?? [],
      ...(s.cmd ? { cmd: s.cmd as string } : {}),
      link: s.link === true,
      storage: {
        storage,
        mount: s.mount as string,
        ...(s.bucket ? { bucket: s.bucket as string } : {}),
        ...(s.prefix !== undefined ? { prefix: s.prefix as string } : {}),
      },
      assets: s.assets !== false,
      ...(output ? { output } : {}),
      version: ctx.version,
      ...(docker ? { docker } : {}),
    },
    { emit: ctx.out.emit, signal: ctx.signal },
  );
  for (const warning of result.warnings) ctx.out.warn(warning);
  if (output) {
    const from = result.assetImage ? ` from ${result.assetImage.from}` : " (no assets: for mlpack assemble)";
    ctx.out.info(
      `wrote ${output}: ${result.storage.kind === "oci" ? `${result.copies.length} asset COPY lines${from}` : `assets on ${result.storage.kind} at ${result.storage.root}`}, ${Object.keys(result.env).length} ENV variables`,
    );
    const ignore = result.dockerignore;
    if (ignore && ignore.action !== "unchanged") {
      ctx.out.info(
        `${ignore.action === "created" ? "wrote" : "added .mlpack/ to"} ${ignore.path}: the staged caches and the OCI layout stay out of the build context (the Dockerfile copies them from the asset image)`,
      );
    }
  }
  ctx.out.result(
    "dockerfile",
    {
      dockerfile: result.dockerfile,
      output: result.output,
      target: result.target,
      base: result.base,
      assetImage: result.assetImage,
      storage: result.storage,
      lockDigest: result.lockDigest,
      assetRoot: result.assetRoot,
      env: result.env,
      copies: result.copies,
      code: result.code,
      notes: result.notes,
      views: result.views,
      entrypoint: result.entrypoint,
      dockerignore: result.dockerignore,
      size: result.size,
    },
    () => (output ? output : result.dockerfile),
  );
}
