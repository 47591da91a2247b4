import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough, type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import type Docker from "dockerode";
import { Parser, type ReadEntry } from "tar";
import { UsageError } from "../errors.js";
import type { EmitFn } from "../events.js";
import type { Blob } from "../image/types.js";
import { DOCKER, type Descriptor, type ImageManifest } from "../registry/media-types.js";
import { sha256 } from "../registry/remote.js";
import { withFsErrors } from "../util/fs-errors.js";

/**
 * An app image that lives only in the local Docker engine: `docker save` streamed once, each layer gzipped
 * (level 1, as crane does) into the project's scratch folder while its diff_id and digest are hashed, and a
 * Docker v2s2 manifest made for it. The layers are then pushed like any other blob (skipped where the target
 * already has them: the same Node gzips the same layer to the same bytes).
 */

export interface EngineImage {
  name: string;
  /** The engine's image ID (sha256 of the config). */
  id: string;
  mediaType: string;
  manifest: ImageManifest;
  manifestDigest: string;
  configBytes: Buffer;
  /** Layer blobs by digest, read from the scratch files. */
  blobs: Map<string, Blob>;
  cleanup(): Promise<void>;
}

interface SavedFile {
  /** Small files are kept in memory; layers go to a gzip file. */
  bytes?: Buffer;
  gz?: { path: string; digest: string; size: number; diffId: string };
}

const SMALL = 64 * 1024;

function hashing(onDone: (digest: string, size: number) => void): Transform {
  const hash = createHash("sha256");
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      onDone(`sha256:${hash.digest("hex")}`, size);
      cb();
    },
  });
}

async function gzipTo(source: Readable, path: string): Promise<NonNullable<SavedFile["gz"]>> {
  let diffId = "";
  let digest = "";
  let size = 0;
  await pipeline(
    source,
    hashing((d) => {
      diffId = d;
    }),
    zlib.createGzip({ level: 1 }),
    hashing((d, n) => {
      digest = d;
      size = n;
    }),
    createWriteStream(path),
  );
  return { path, digest, size, diffId };
}

function fileBlob(gz: NonNullable<SavedFile["gz"]>): Blob {
  return {
    digest: gz.digest,
    size: gz.size,
    mediaType: DOCKER.layerGzip,
    open: () => createReadStream(gz.path, { highWaterMark: 1024 * 1024 }),
  };
}

export async function readEngineImage(
  docker: Docker,
  name: string,
  scratch: string,
  emit: EmitFn,
): Promise<EngineImage> {
  const info = await docker
    .getImage(name)
    .inspect()
    .catch((cause: unknown) => {
      throw new UsageError(`${name} is neither a registry reference nor an image in the local Docker engine`, {
        code: "E_IMAGE_NOT_FOUND",
        hint: "Build it (docker build -t NAME .) or give a registry reference (host[:port]/repo:tag).",
        cause,
      });
    });
  const dir = join(scratch, `engine-${randomBytes(6).toString("hex")}`);
  await withFsErrors({ path: dir, action: "making scratch space", isDir: true }, () => mkdir(dir, { recursive: true }));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    emit({ type: "step", message: `Reading ${name} from the Docker engine (docker save) and compressing its layers` });
    const files = new Map<string, SavedFile>();
    const pending: Promise<void>[] = [];
    let n = 0;
    const parser = new Parser({
      onReadEntry: (entry: ReadEntry) => {
        if (entry.type !== "File" && entry.type !== "OldFile") return entry.resume();
        const path = entry.path.replace(/^\.\//, "");
        if (path.endsWith(".json") || path === "repositories" || (entry.size ?? 0) <= SMALL) {
          const chunks: Buffer[] = [];
          entry.on("data", (c: Buffer) => chunks.push(c));
          entry.on("end", () => files.set(path, { bytes: Buffer.concat(chunks) }));
          return;
        }
        const out = join(dir, `layer-${n++}.gz`);
        const pass = new PassThrough({ highWaterMark: 1024 * 1024 });
        entry.pipe(pass);
        pending.push(
          withFsErrors({ path: dir, action: "compressing a layer of the app image" }, () => gzipTo(pass, out)).then(
            (gz) => {
              files.set(path, { gz });
            },
          ),
        );
      },
    });
    const saved = await docker.getImage(name).get();
    await pipeline(saved, parser as unknown as NodeJS.WritableStream);
    await Promise.all(pending);

    const manifestFile = files.get("manifest.json")?.bytes;
    const saveManifest = manifestFile
      ? (JSON.parse(manifestFile.toString("utf8")) as { Config: string; Layers: string[] }[])[0]
      : undefined;
    const configBytes = saveManifest ? files.get(saveManifest.Config)?.bytes : undefined;
    if (!saveManifest || !configBytes) {
      throw new UsageError(`docker save of ${name} has no manifest.json or config`, {
        code: "E_IMAGE_NOT_FOUND",
        hint: "Use an engine that writes the Docker archive format, or push the image and pass its reference.",
      });
    }
    const config = JSON.parse(configBytes.toString("utf8")) as { rootfs?: { diff_ids?: string[] } };
    const blobs = new Map<string, Blob>();
    const layers: Descriptor[] = [];
    for (const [i, layerPath] of saveManifest.Layers.entries()) {
      const file = files.get(layerPath);
      let gz = file?.gz;
      if (!gz && file?.bytes) gz = await gzipTo(PassThrough.from([file.bytes]) as Readable, join(dir, `layer-${n++}.gz`));
      if (!gz) throw new UsageError(`docker save of ${name} lacks its layer ${layerPath}`, { code: "E_IMAGE_NOT_FOUND" });
      const expected = config.rootfs?.diff_ids?.[i];
      if (expected && expected !== gz.diffId) {
        throw new UsageError(`layer ${i + 1} of ${name} hashes to ${gz.diffId}, its config says ${expected}`, {
          code: "E_IMAGE_NOT_FOUND",
        });
      }
      blobs.set(gz.digest, fileBlob(gz));
      layers.push({ mediaType: DOCKER.layerGzip, digest: gz.digest, size: gz.size });
    }
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: DOCKER.manifest,
      config: { mediaType: DOCKER.config, digest: sha256(configBytes), size: configBytes.length },
      layers,
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    return {
      name,
      id: info.Id,
      mediaType: DOCKER.manifest,
      manifest,
      manifestDigest: sha256(manifestBytes),
      configBytes,
      blobs,
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
