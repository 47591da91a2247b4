import { join, resolve } from "node:path";
import type Docker from "dockerode";
import { connectDocker } from "../../docker/client.js";
import { type DockerfileTarget, generateDockerfile } from "../../dockerfile/index.js";
import type { Storage } from "../../dockerfile/storage.js";
import { DockerUnavailableError } from "../../errors.js";
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

export async function runDockerfile(ctx: CommandContext): Promise<void> {
  const s = ctx.settings;
  const lock = await readLock(join(ctx.cwd, LOCK_FILE));
  const docker = await optionalDocker(ctx.env);
  const output = s.output ? resolve(ctx.cwd, s.output as string) : undefined;
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
        storage: s.storage as Storage,
        mount: s.mount as string,
        ...(s.bucket ? { bucket: s.bucket as string } : {}),
        ...(s.prefix !== undefined ? { prefix: s.prefix as string } : {}),
      },
      ...(output ? { output } : {}),
      version: ctx.version,
      ...(docker ? { docker } : {}),
    },
    { emit: ctx.out.emit, signal: ctx.signal },
  );
  for (const warning of result.warnings) ctx.out.warn(warning);
  if (output) {
    ctx.out.info(
      `wrote ${output}: ${result.assetImage ? `${result.copies.length} asset COPY lines from ${result.assetImage.from}` : `assets on ${result.storage.kind} at ${result.storage.root}`}, ${Object.keys(result.env).length} ENV variables`,
    );
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
      size: result.size,
    },
    () => (output ? output : result.dockerfile),
  );
}
