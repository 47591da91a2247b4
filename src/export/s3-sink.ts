import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readFile } from "node:fs/promises";
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { MlpackError, throwIfAborted } from "../errors.js";
import type { RunContext } from "../events.js";
import { fsError } from "../util/fs-errors.js";
import { pool } from "../util/pool.js";
import { objectKey } from "./destination.js";
import { MANIFEST_FILE, type Manifest, type ManifestFile, parseManifest, previousFiles, serializeManifest } from "./manifest.js";
import { decideS3, headMatches, partSizeFor, type RemoteObject, stalePaths } from "./plan.js";
import { mapS3Error } from "./s3-client.js";
import { statKey } from "./hash-cache.js";
import type { SinkResult } from "./sink.js";
import type { SourceFile, SourceTree } from "./source.js";

export interface S3ExportOptions {
  client: S3Client;
  bucket: string;
  prefix: string;
  tree: SourceTree;
  manifest: Manifest;
  prune: boolean;
  /** Requests in flight at once; a multipart upload sends that many parts at once and has the slots to itself. */
  concurrency: number;
}

/** Object metadata mlpack writes (stored by S3 as x-amz-meta-*): the content hash a multipart ETag is not. */
export const META_SHA256 = "sha256";
export const META_MODE = "mode";

/**
 * Exports to s3://bucket/prefix. One listing tells what is there; an object whose size matches and whose ETag
 * our previous manifest recorded next to the same sha256 is skipped without a request, any other same-size
 * object is checked with HeadObject against its `x-amz-meta-sha256`. Small files go up in one PutObject (with
 * `x-amz-checksum-sha256`, which S3 verifies), large ones as multipart uploads (@aws-sdk/lib-storage, 8 MiB
 * parts or more, `concurrency` parts in flight). The manifest is deleted before the first change and written after the last, so an
 * interrupted export has none and is never mistaken for complete. Symlinks exist only in the manifest.
 */
export async function exportToS3(opts: S3ExportOptions, ctx: RunContext): Promise<SinkResult> {
  const { client, bucket, prefix } = opts;
  const where = (key: string) => `s3://${bucket}/${key}`;
  const send = async <T>(action: string, key: string, run: () => Promise<T>): Promise<T> => {
    throwIfAborted(ctx.signal);
    try {
      return await run();
    } catch (error) {
      throw mapS3Error(error, action, where(key));
    }
  };
  const signal = ctx.signal ? { abortSignal: ctx.signal } : {};
  const manifestKey = objectKey(prefix, MANIFEST_FILE);
  const listPrefix = prefix === "" ? "" : `${prefix}/`;

  const remote = new Map<string, RemoteObject>();
  let token: string | undefined;
  do {
    const page = await send("s3:ListBucket", listPrefix, () =>
      client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: listPrefix, ContinuationToken: token }), signal),
    );
    for (const o of page.Contents ?? []) {
      if (o.Key !== undefined) remote.set(o.Key, { size: o.Size ?? 0, ...(o.ETag ? { etag: o.ETag } : {}) });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);

  let oldText: string | undefined;
  if (remote.has(manifestKey)) {
    const got = await send("s3:GetObject", manifestKey, () =>
      client.send(new GetObjectCommand({ Bucket: bucket, Key: manifestKey }), signal),
    );
    oldText = await send("s3:GetObject", manifestKey, async () => (await got.Body?.transformToString("utf8")) ?? "");
  }
  const previous = oldText === undefined ? undefined : parseManifest(oldText);
  const prevFiles = previousFiles(previous);

  const etags = new Map<string, string>();
  const uploads: SourceFile[] = [];
  const heads: SourceFile[] = [];
  let skippedFiles = 0;
  let skippedBytes = 0;
  const skip = (file: SourceFile, etag: string | undefined) => {
    skippedFiles += 1;
    skippedBytes += file.size;
    if (etag) etags.set(file.path, etag);
  };
  for (const file of opts.tree.files) {
    const found = remote.get(objectKey(prefix, file.path));
    const decision = decideS3(file, found, prevFiles.get(file.path));
    if (decision === "upload") uploads.push(file);
    else if (decision === "head") heads.push(file);
    else skip(file, found?.etag);
  }
  await pool(heads, opts.concurrency, async (file) => {
    const key = objectKey(prefix, file.path);
    const head = await send("s3:GetObject", key, () => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), signal));
    if (headMatches(file, { size: head.ContentLength, sha256: head.Metadata?.[META_SHA256] })) skip(file, head.ETag);
    else uploads.push(file);
  });

  const keepKeys = new Set(opts.tree.files.map((f) => objectKey(prefix, f.path)));
  const deletions = stalePaths({
    keep: keepKeys,
    previous: [...prevFiles.keys()].map((p) => objectKey(prefix, p)),
    present: remote.keys(),
    prune: opts.prune,
    manifest: manifestKey,
  });

  const manifestFor = (): string => {
    const files = opts.manifest.files.map((e): typeof e => {
      const etag = e.type === "file" ? etags.get(e.path) : undefined;
      return etag === undefined ? e : { ...(e as ManifestFile), etag };
    });
    return serializeManifest({ ...opts.manifest, files });
  };
  if (uploads.length === 0 && deletions.length === 0 && manifestFor() === oldText) {
    return {
      written: { files: 0, bytes: 0 },
      skipped: { files: skippedFiles, bytes: skippedBytes },
      links: { written: 0, skipped: opts.tree.links.length },
      deleted: [],
      manifestAction: "unchanged",
    };
  }
  if (oldText !== undefined && (uploads.length > 0 || deletions.length > 0)) {
    await send("s3:DeleteObject", manifestKey, () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: manifestKey }), signal));
  }

  const total = uploads.reduce((n, f) => n + f.size, 0);
  let done = 0;
  const progress = { id: "export-upload", label: `upload to s3://${bucket}/${listPrefix}`, unit: "bytes" as const };
  ctx.emit({ type: "progress", ...progress, done, total });
  const report = (delta: number) => {
    done += delta;
    ctx.emit({ type: "progress", ...progress, done, total });
  };
  const bigFrom = partSizeFor(0);
  const slots = Math.max(1, Math.floor(opts.concurrency));
  await pool(
    uploads,
    slots,
    async (file) => {
      const key = objectKey(prefix, file.path);
      const etag =
        file.size < bigFrom
          ? await putSmall(client, bucket, key, file, signal, send)
          : await putLarge(client, bucket, key, file, slots, ctx.signal, send, report);
      if (etag) etags.set(file.path, etag);
      if (file.size < bigFrom) report(file.size);
    },
    // A multipart upload keeps all slots busy with its parts (memory: slots × part size, 64 MiB by default).
    (file) => (file.size < bigFrom ? 1 : slots),
  );
  ctx.emit({ type: "progress-end", id: progress.id });

  for (let i = 0; i < deletions.length; i += 1000) {
    const batch = deletions.slice(i, i + 1000);
    const out = await send("s3:DeleteObject", batch[0] as string, () =>
      client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }), signal),
    );
    const failed = out.Errors?.[0];
    if (failed) throw mapS3Error({ name: failed.Code, message: failed.Message }, "s3:DeleteObject", where(failed.Key ?? ""));
  }

  throwIfAborted(ctx.signal);
  const text = manifestFor();
  await send("s3:PutObject", manifestKey, () =>
    client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: manifestKey,
        Body: Buffer.from(text),
        ContentType: "application/json",
        CacheControl: "no-cache",
      }),
      signal,
    ),
  );
  return {
    written: { files: uploads.length, bytes: total },
    skipped: { files: skippedFiles, bytes: skippedBytes },
    links: { written: 0, skipped: opts.tree.links.length },
    deleted: deletions,
    manifestAction: "written",
  };
}

type Send = <T>(action: string, key: string, run: () => Promise<T>) => Promise<T>;

function metadata(file: SourceFile): Record<string, string> {
  return { [META_SHA256]: file.sha256, [META_MODE]: file.mode.toString(8) };
}

async function putSmall(
  client: S3Client,
  bucket: string,
  key: string,
  file: SourceFile,
  signal: { abortSignal?: AbortSignal },
  send: Send,
): Promise<string | undefined> {
  const body = await readFile(file.abs).catch((error: unknown) => {
    throw fsError(error, { path: file.abs, action: "reading a staged file" });
  });
  if (body.length !== file.size || createHash("sha256").update(body).digest("hex") !== file.sha256) {
    throw changedWhileReading(file);
  }
  const out = await send("s3:PutObject", key, () =>
    client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentLength: body.length,
        ContentType: "application/octet-stream",
        ChecksumSHA256: Buffer.from(file.sha256, "hex").toString("base64"),
        Metadata: metadata(file),
      }),
      signal,
    ),
  );
  return out.ETag;
}

async function putLarge(
  client: S3Client,
  bucket: string,
  key: string,
  file: SourceFile,
  queueSize: number,
  abort: AbortSignal | undefined,
  send: Send,
  report: (delta: number) => void,
): Promise<string | undefined> {
  // Read straight into lib-storage (which gathers 1 MiB reads into parts): no copy through a hashing stream.
  // The bytes sent are the ones hashed before when the file's stat key (size, mtime, ctime, inode) is the same
  // after the upload; otherwise the object is deleted again.
  const source = createReadStream(file.abs, { highWaterMark: 1 << 20 });
  source.on("error", () => undefined); // reported through upload.done()
  const upload = new Upload({
    client,
    queueSize,
    partSize: partSizeFor(file.size),
    leavePartsOnError: false,
    params: {
      Bucket: bucket,
      Key: key,
      Body: source,
      ContentType: "application/octet-stream",
      Metadata: metadata(file),
    },
  });
  let seen = 0;
  upload.on("httpUploadProgress", (p) => {
    const loaded = p.loaded ?? 0;
    if (loaded > seen) {
      report(loaded - seen);
      seen = loaded;
    }
  });
  const onAbort = () => void upload.abort().catch(() => undefined);
  abort?.addEventListener("abort", onAbort, { once: true });
  try {
    const out = await send("s3:PutObject", key, () =>
      upload.done().catch((error: unknown) => {
        // A read error of the staged file is the file's problem, not S3's.
        throw (error as NodeJS.ErrnoException).syscall ? fsError(error, { path: file.abs, action: "reading a staged file" }) : error;
      }),
    );
    const after = await lstat(file.abs).catch(() => undefined);
    if (!after || statKey(after) !== file.statKey) {
      // The metadata would lie about these bytes: remove the object so no reader or re-export trusts it.
      await send("s3:DeleteObject", key, () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
      throw changedWhileReading(file);
    }
    if (seen < file.size) report(file.size - seen);
    return out.ETag;
  } finally {
    abort?.removeEventListener("abort", onAbort);
    source.destroy();
  }
}

function changedWhileReading(file: SourceFile): MlpackError {
  return new MlpackError(`${file.abs} changed while it was exported`, {
    code: "E_SOURCE_CHANGED",
    hint: "Run `mlpack discover` again if the staged assets were edited, then export again.",
  });
}
