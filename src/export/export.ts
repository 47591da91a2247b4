import { relative, sep } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { UsageError } from "../errors.js";
import type { RunContext } from "../events.js";
import type { Lock } from "../lock/lock.js";
import { lockDigest } from "../lock/lock-digest.js";
import { assetsDir, workDir } from "../state/work-dir.js";
import { compareUtf8 } from "../util/byte-order.js";
import { type ExportDestination, objectKey, parseDestination } from "./destination.js";
import { exportToDir } from "./dir-sink.js";
import { HashCache } from "./hash-cache.js";
import { exportPath, MANIFEST_FILE, MANIFEST_KIND, type Manifest, type ManifestEntry } from "./manifest.js";
import type { SinkResult } from "./sink.js";
import { readSource, type SourceTree } from "./source.js";

export interface ExportOptions {
  lock: Lock;
  projectDir: string;
  /** `--to`: s3://BUCKET/PREFIX or a folder (relative to projectDir). */
  to: string;
  prune: boolean;
  concurrency: number;
  region?: string;
  profile?: string;
  endpoint?: string;
  env: NodeJS.ProcessEnv;
  version: string;
  /** A ready S3 client (tests); otherwise one is built from region/profile/endpoint. */
  s3Client?: S3Client;
}

export interface ExportResult extends SinkResult {
  destination: ExportDestination;
  /** Where the manifest is: s3://bucket/prefix/mlpack-assets.json or DIR/mlpack-assets.json. */
  manifest: string;
  lockDigest: string;
  assets: { id: string; target: string; files: number; bytes: number }[];
  totals: { files: number; bytes: number; links: number; dirs: number };
  /** Entries left out (FIFOs, links that leave their asset), as bundle leaves them out of the image. */
  skippedEntries: { path: string; reason: string }[];
  /** Staged bytes read to hash them (0 when the hash cache vouched for every file). */
  hashedBytes: number;
}

/**
 * `mlpack export`: the lock's staged assets (checked against the lock) to S3 or a folder, incrementally, with
 * the manifest written last. The same tree layout as the asset image under its root: `<target>/<path>`.
 */
export async function exportAssets(opts: ExportOptions, ctx: RunContext): Promise<ExportResult> {
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
    throw new UsageError(`--concurrency must be a whole number ≥ 1, got ${opts.concurrency}`);
  }
  if (opts.lock.assets.length === 0) {
    throw new UsageError("mlpack.lock.json lists no assets", {
      code: "E_NO_ASSETS",
      hint: "Run `mlpack discover` on a command that downloads models, or add directories with --include.",
    });
  }
  for (const asset of opts.lock.assets) {
    if (!exportPath.safeParse(asset.target).success) {
      throw new UsageError(`asset ${asset.id} has target ${JSON.stringify(asset.target)}, which is not a relative path`, {
        code: "E_BAD_LOCK",
        hint: "Re-create mlpack.lock.json with `mlpack discover`.",
      });
    }
  }
  const dest = parseDestination(opts.to, opts.projectDir);
  if (dest.kind === "dir") checkDirDestination(dest.path, opts.projectDir, opts.prune);
  else if (opts.prune && dest.prefix === "") {
    throw new UsageError(`--prune on the whole bucket ${dest.url} is refused`, {
      hint: "Export under a prefix (s3://BUCKET/PREFIX): --prune then deletes only keys under it.",
    });
  }
  if (dest.kind === "dir" && opts.endpoint) {
    throw new UsageError("--endpoint is for s3:// destinations", { hint: `--to ${opts.to} is a folder.` });
  }

  const cache = await HashCache.open(opts.projectDir);
  ctx.emit({ type: "step", message: `checking the staged assets against mlpack.lock.json` });
  const tree = await readSource({
    lock: opts.lock,
    projectDir: opts.projectDir,
    cache,
    emit: ctx.emit,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  for (const s of tree.skipped) ctx.emit({ type: "warning", message: `skipped ${s.path}: ${s.reason}`, path: s.path });
  const digest = lockDigest(opts.lock);
  const manifest = buildManifest(opts.lock, digest, opts.version, tree);

  let sink: SinkResult;
  if (dest.kind === "dir") {
    ctx.emit({ type: "step", message: `exporting ${opts.lock.assets.length} assets to ${dest.path}` });
    try {
      sink = await exportToDir(
        { dir: dest.path, tree, manifest, prune: opts.prune, concurrency: opts.concurrency, cache },
        ctx,
      );
    } finally {
      // Also after a failure: what was written and hashed need not be read again by the next run.
      await cache.save();
    }
  } else {
    await cache.save();
    ctx.emit({ type: "step", message: `exporting ${opts.lock.assets.length} assets to ${dest.url}` });
    // The AWS SDK is large: loaded only for an S3 export (a folder or EFS export never needs it).
    const [{ createS3Client }, { exportToS3 }] = await Promise.all([import("./s3-client.js"), import("./s3-sink.js")]);
    const client =
      opts.s3Client ??
      createS3Client({
        ...(opts.region ? { region: opts.region } : {}),
        ...(opts.profile ? { profile: opts.profile } : {}),
        ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
        env: opts.env,
      });
    try {
      sink = await exportToS3(
        { client, bucket: dest.bucket, prefix: dest.prefix, tree, manifest, prune: opts.prune, concurrency: opts.concurrency },
        ctx,
      );
    } finally {
      if (!opts.s3Client) client.destroy();
    }
  }
  return {
    ...sink,
    destination: dest,
    manifest: dest.kind === "dir" ? `${dest.path}/${MANIFEST_FILE}` : `s3://${dest.bucket}/${objectKey(dest.prefix, MANIFEST_FILE)}`,
    lockDigest: digest,
    assets: manifest.assets.map((a) => ({ id: a.id, target: a.target, files: a.files, bytes: a.bytes })),
    totals: {
      files: tree.files.length,
      bytes: manifest.totals.bytes,
      links: tree.links.length,
      dirs: tree.dirs.length,
    },
    skippedEntries: tree.skipped,
    hashedBytes: tree.hashedBytes,
  };
}

function buildManifest(lock: Lock, digest: string, version: string, tree: SourceTree): Manifest {
  const files: ManifestEntry[] = [
    ...tree.dirs.map((path): ManifestEntry => ({ path, type: "dir" })),
    ...tree.files.map((f): ManifestEntry => ({ path: f.path, type: "file", size: f.size, sha256: f.sha256, mode: f.mode })),
    ...tree.links.map((l): ManifestEntry => ({ path: l.path, type: "symlink", target: l.target })),
  ].sort((a, b) => compareUtf8(a.path, b.path));
  return {
    schemaVersion: 1,
    kind: MANIFEST_KIND,
    lockDigest: digest,
    assetRoot: lock.assetRoot,
    mlpackVersion: version,
    assets: [...lock.assets]
      .sort((a, b) => compareUtf8(a.id, b.id))
      .map(({ source: _source, ...rest }) => rest),
    files,
    totals: { files: tree.files.length, bytes: tree.files.reduce((n, f) => n + f.size, 0) },
  };
}

/**
 * A folder export must not land inside the staged trees it reads, and --prune must not be pointed at the
 * project (or a folder holding it): it would delete everything the export did not write.
 */
function checkDirDestination(dir: string, projectDir: string, prune: boolean): void {
  const inside = (parent: string, child: string) => {
    const rel = relative(parent, child);
    return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !rel.startsWith(sep));
  };
  if (inside(assetsDir(projectDir), dir)) {
    throw new UsageError(`--to ${dir} is inside the staged assets (${assetsDir(projectDir)})`, {
      hint: "Export to a folder outside .mlpack/assets, e.g. --to .mlpack/efs or an EFS mount.",
    });
  }
  if (prune && (inside(dir, projectDir) || inside(dir, workDir(projectDir)))) {
    throw new UsageError(`--prune on ${dir} is refused: it holds the project ${projectDir} or its .mlpack folder`, {
      hint: "Export into a folder of its own (e.g. an EFS mount or .mlpack/efs); --prune deletes everything else in it.",
    });
  }
}
