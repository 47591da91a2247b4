import { join } from "node:path";
import { describeDestination, exportAssets, type ExportResult } from "../../export/index.js";
import { UsageError } from "../../errors.js";
import { LOCK_FILE, readLock } from "../../lock/lock.js";
import { updateState } from "../../state/state.js";
import { formatBytes } from "../format.js";
import type { CommandContext } from "./index.js";

export async function runExport(ctx: CommandContext): Promise<void> {
  const s = ctx.settings;
  const to = s.to as string | undefined;
  if (!to) {
    throw new UsageError("export needs --to", {
      hint: "mlpack export --to s3://BUCKET/PREFIX, or --to DIR (an EFS mount or any folder); or set export.to in mlpack.json.",
    });
  }
  const lock = await readLock(join(ctx.cwd, LOCK_FILE));
  const endpoint = s.endpoint as string | undefined;
  const result = await exportAssets(
    {
      lock,
      projectDir: ctx.cwd,
      to,
      prune: s.prune === true,
      concurrency: s.concurrency as number,
      ...(s.region ? { region: s.region as string } : {}),
      ...(s.profile ? { profile: s.profile as string } : {}),
      ...(endpoint ? { endpoint } : {}),
      env: ctx.env,
      version: ctx.version,
    },
    { emit: ctx.out.emit, signal: ctx.signal },
  );
  const dest = result.destination;
  await updateState(ctx.cwd, {
    export:
      dest.kind === "s3"
        ? { kind: "s3", bucket: dest.bucket, prefix: dest.prefix, lockDigest: result.lockDigest }
        : { kind: "dir", path: dest.path, lockDigest: result.lockDigest },
  });
  ctx.out.info(
    `exported to ${describeDestination(dest)}: wrote ${formatBytes(result.written.bytes)} in ${result.written.files} files, skipped ${formatBytes(result.skipped.bytes)} in ${result.skipped.files} files already there${result.deleted.length > 0 ? `, deleted ${result.deleted.length} stale` : ""}`,
  );
  ctx.out.result(
    "export",
    {
      destination: dest.kind === "s3" ? { ...dest, endpoint: endpoint ?? null } : dest,
      manifest: result.manifest,
      manifestAction: result.manifestAction,
      lockDigest: result.lockDigest,
      assets: result.assets,
      totals: result.totals,
      written: result.written,
      skipped: result.skipped,
      links: result.links,
      deleted: result.deleted,
      skippedEntries: result.skippedEntries,
      hashedBytes: result.hashedBytes,
    },
    () => render(result),
  );
}

/** stdout: the manifest's location, so `$(mlpack export --to …)` names what a reader should fetch. */
function render(result: ExportResult): string {
  return result.manifest;
}
