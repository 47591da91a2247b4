import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { assemble } from "../../assemble/assemble.js";
import { UsageError } from "../../errors.js";
import { LayoutImageReader } from "../../lambda-rules/layout-source.js";
import { ScanCache } from "../../lambda-rules/scan-cache.js";
import { LOCK_FILE, readLock } from "../../lock/lock.js";
import { registryCredentials } from "../../registry/credentials.js";
import { readState } from "../../state/state.js";
import { scratchDir, workDir } from "../../state/work-dir.js";
import { formatBytes } from "../format.js";
import type { CommandContext } from "./index.js";

export async function runAssemble(ctx: CommandContext): Promise<void> {
  const s = ctx.settings;
  const app = s.app as string | undefined;
  if (!app) {
    throw new UsageError("assemble needs the app image", {
      hint: "mlpack assemble --app REGISTRY/REPO:TAG (or a local image: --app my-fn:dev), e.g. the image `mlpack dockerfile --no-assets` builds.",
    });
  }
  const lock = await readLock(join(ctx.cwd, LOCK_FILE));
  const assets = (s.assets as string | undefined) ?? (await readState(ctx.cwd)).push?.reference;
  if (!assets) {
    throw new UsageError("no asset image to assemble: nothing was pushed from this project yet", {
      code: "E_NO_ASSET_IMAGE",
      hint: "Run mlpack push (after mlpack bundle), or pass --assets REGISTRY/REPO@sha256:… .",
    });
  }
  const concurrency = s.concurrency as number;
  // Each ECR host names its region (<account>.dkr.ecr.<region>.amazonaws.com): a session per region it names.
  const credentials = registryCredentials({ env: ctx.env, ...(s.profile ? { profile: s.profile as string } : {}) });
  const layout = resolve(ctx.cwd, ctx.section("bundle").layout as string);
  try {
    const result = await assemble({
      app,
      assets,
      ...(s.repository ? { repository: s.repository as string } : {}),
      ...(s.tag ? { tag: s.tag as string } : {}),
      ...(s.platform ? { platform: s.platform as string } : {}),
      lock,
      version: ctx.version,
      credentials,
      engineImage: async (name) => {
        const [{ connectDocker }, { readEngineImage }] = await Promise.all([
          import("../../docker/client.js"),
          import("../../assemble/engine-image.js"),
        ]);
        return readEngineImage(await connectDocker({ env: ctx.env }), name, scratchDir(ctx.cwd), ctx.out.emit);
      },
      ...(existsSync(join(layout, "index.json")) ? { assetLayout: new LayoutImageReader(layout) } : {}),
      scanCache: new ScanCache(join(workDir(ctx.cwd), "cache", "layer-scans")),
      blobMounting: async (host) => (await credentials.ecr(host))?.blobMounting(),
      concurrency,
      emit: ctx.out.emit,
      signal: ctx.signal,
    });
    const { bytes } = result;
    ctx.out.info(
      `assembled ${result.registry}/${result.repository}:${result.tag} (${result.layers.length} blobs): uploaded ${formatBytes(bytes.uploaded)}, mounted ${formatBytes(bytes.mounted)}, already there ${formatBytes(bytes.skipped)}${result.manifestAction === "skipped" ? "; the tag already pointed at this digest" : ""}`,
    );
    const set = Object.entries(result.env);
    if (set.length > 0) ctx.out.info(`ENV ${set.map(([k, v]) => `${k}=${v}`).join(" ")}`);
    ctx.out.result("assemble", { ...result, imageUri: result.reference }, () => result.reference);
  } finally {
    credentials.close();
  }
}
