import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { CheckFailedError, UsageError } from "../../errors.js";
import { checkImage, type StaticCheckResult } from "../../lambda-rules/check-image.js";
import { LayoutImageReader } from "../../lambda-rules/layout-source.js";
import { ScanCache } from "../../lambda-rules/scan-cache.js";
import { LOCK_FILE, readLock } from "../../lock/lock.js";
import { RegistryClient } from "../../registry/client.js";
import { registryCredentials } from "../../registry/credentials.js";
import { manifestReference, parseReference } from "../../registry/reference.js";
import { RegistryImageReader } from "../../registry/remote.js";
import { workDir } from "../../state/work-dir.js";
import { formatBytes } from "../format.js";
import type { CommandContext } from "./index.js";

/** `mlpack verify --static REF`: Lambda's deploy-time rules on a registry image or an OCI layout directory. */
export async function runVerifyStatic(ctx: CommandContext): Promise<void> {
  const [target, ...rest] = ctx.args;
  if (!target) {
    throw new UsageError("verify --static needs the image to check", {
      hint: "mlpack verify --static REGISTRY/REPO:TAG (or @sha256:…), or an OCI layout directory.",
    });
  }
  if (rest.length > 0) {
    throw new UsageError("verify --static runs nothing: drop the command after the image", {
      hint: "Without --static, verify runs the image (and a command after --).",
    });
  }
  const lockPath = join(ctx.cwd, LOCK_FILE);
  const assetRoot = existsSync(lockPath) ? (await readLock(lockPath)).assetRoot : undefined;
  const project = workDir(ctx.cwd);
  const common = {
    ...(assetRoot ? { assetRoot } : {}),
    ...(existsSync(project) ? { cache: new ScanCache(join(project, "cache", "layer-scans")) } : {}),
    emit: ctx.out.emit,
    signal: ctx.signal,
  };
  const dir = resolve(ctx.cwd, target);
  let result: StaticCheckResult;
  if (existsSync(dir) && statSync(dir).isDirectory()) {
    result = await checkImage({ reader: new LayoutImageReader(dir), reference: "", name: dir, ...common });
  } else {
    const ref = parseReference(target);
    if (!ref.registry) {
      throw new UsageError(`${target} is neither a directory nor a registry reference`, {
        code: "E_BAD_REFERENCE",
        hint: "Name the registry (host[:port]/repo:tag): the static check reads the image as Lambda would, from a registry. For a local engine image, run verify without --static.",
      });
    }
    const credentials = registryCredentials({ env: ctx.env });
    const client = new RegistryClient({ registry: ref.registry, repository: ref.repository, auth: credentials, signal: ctx.signal });
    try {
      result = await checkImage({ reader: new RegistryImageReader(client), reference: manifestReference(ref), name: target, ...common });
    } finally {
      client.close();
      credentials.close();
    }
  }
  for (const f of result.findings) if (f.severity === "warning") ctx.out.warn(f.message);
  const summary = `${result.image}: ${result.layers.length} layers, ${formatBytes(result.uncompressedBytes)} uncompressed, ${result.platform ?? "no platform"}, ${result.mediaType}`;
  if (!result.ok) {
    const errors = result.findings.filter((f) => f.severity === "error");
    throw new CheckFailedError(
      [`FAIL ${summary}`, ...errors.map((f) => `  - [${f.rule}] ${f.message}`)].join("\n"),
      {
        code: "E_LAMBDA_RULES",
        hint: `Lambda would refuse this image at deploy time (${[...new Set(errors.map((f) => f.rule))].join(", ")}).`,
        details: result,
      },
    );
  }
  ctx.out.result("verify-static", { ...result, ok: true }, () => `PASS ${summary}`);
}
