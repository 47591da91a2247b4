import { resolve } from "node:path";
import { LABEL_LOCK_DIGEST } from "../../bundle/labels.js";
import { readConfigLabels } from "../../image/config-labels.js";
import { openLayout } from "../../image/layout-reader.js";
import { pushAssetImage } from "../../push/push-asset-image.js";
import { readState, updateState } from "../../state/state.js";
import { formatBytes } from "../format.js";
import type { CommandContext } from "./index.js";

export async function runPush(ctx: CommandContext): Promise<void> {
  const s = ctx.settings;
  const layoutDir = resolve(ctx.cwd, ctx.section("bundle").layout as string);
  const image = await openLayout(layoutDir);
  const labels = await readConfigLabels(image);
  if (!labels[LABEL_LOCK_DIGEST]) ctx.out.warn(`the image in ${layoutDir} was not built by mlpack bundle`);
  const result = await pushAssetImage(
    image,
    {
      ...(s.registry ? { registry: s.registry as string } : {}),
      repository: s.repository as string,
      ...(s.tag ? { tag: s.tag as string } : {}),
      ...(s.region ? { region: s.region as string } : {}),
      ...(s.profile ? { profile: s.profile as string } : {}),
      createRepository: s.createRepository !== false,
      concurrency: s.concurrency as number,
      env: ctx.env,
    },
    { emit: ctx.out.emit, signal: ctx.signal },
  );
  const pushed = {
    reference: result.reference,
    registry: result.registry,
    repository: result.repository,
    tag: result.tag,
    digest: result.digest,
  };
  // A no-op re-push leaves state.json as it was (no write, no fsync).
  const before = (await readState(ctx.cwd)).push;
  if (JSON.stringify(before) !== JSON.stringify(pushed)) await updateState(ctx.cwd, { push: pushed });
  const uploaded = result.blobs.filter((b) => b.action === "uploaded").length;
  ctx.out.info(
    `pushed ${result.registry}/${result.repository}:${result.tag}: uploaded ${formatBytes(result.uploadedBytes)} in ${uploaded} blobs, skipped ${formatBytes(result.skippedBytes)} already there${result.manifestAction === "skipped" ? "; tag already pointed at this digest" : ""}`,
  );
  ctx.out.result(
    "push",
    {
      reference: result.reference,
      imageUri: result.reference,
      digest: result.digest,
      registry: result.registry,
      repository: result.repository,
      tag: result.tag,
      uploadedBytes: result.uploadedBytes,
      skippedBytes: result.skippedBytes,
      manifestAction: result.manifestAction,
      blobs: result.blobs,
    },
    () => result.reference,
  );
}
