import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import { UsageError } from "../errors.js";
import { checkMountPath } from "../dockerfile/storage.js";
export { LABEL_STORAGE } from "../dockerfile/storage.js";
import { MANIFEST_FILE } from "../export/manifest.js";
import { isLoopbackHost, parseEndpoint } from "../export/endpoint.js";

/** How verify runs an image whose assets are not baked in: an export bind-mounted, or an S3 endpoint. */
export interface StorageRun {
  /** Bind mounts (read-only). */
  mounts: { source: string; target: string }[];
  /** "host" only to reach a loopback S3 endpoint: the engine here has no other network than none and host. */
  network: "none" | "host";
  /** Variables for the loader: the endpoint, credentials from mlpack's own environment, the network seal. */
  env: Record<string, string>;
  /** The assets do not outlive the container (S3: downloaded into its tmpfs /tmp), so they cannot be checked after it. */
  ephemeralAssets: boolean;
  /** For messages: "EFS export DIR at /mnt/models (read-only)". */
  description: string | null;
}

/** `--mount DIR:/mnt/x`: split at the last colon (DIR may hold one), DIR resolved against the project. */
export function parseMountFlag(raw: string, cwd: string): { dir: string; path: string } {
  const i = raw.lastIndexOf(":");
  if (i <= 0 || i === raw.length - 1) {
    throw new UsageError(`--mount ${raw} is not DIR:/mnt/NAME`, {
      hint: "Name the export folder and where the function mounts it, e.g. --mount .mlpack/efs:/mnt/models.",
    });
  }
  const dir = resolve(cwd, raw.slice(0, i));
  const path = checkMountPath(raw.slice(i + 1));
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new UsageError(`--mount: ${dir} is not a folder`, {
      code: "E_PATH_NOT_FOUND",
      hint: "Export the assets there first: mlpack export --to DIR.",
    });
  }
  return { dir, path };
}

/**
 * What the run needs for the image's storage (its `dev.mlpack.storage` label, or what the flags say). An
 * EFS-style image without --mount and an S3-style image without --s3-endpoint cannot find their assets under
 * verify's no-network rules, so they are refused up front with the flag to add.
 */
export function planStorageRun(opts: {
  imageStorage: string | undefined;
  imageAssetRoot: string | undefined;
  mount?: { dir: string; path: string };
  s3Endpoint?: string;
  env: NodeJS.ProcessEnv;
  warn: (message: string) => void;
}): StorageRun {
  const run: StorageRun = { mounts: [], network: "none", env: {}, ephemeralAssets: false, description: null };
  if (opts.imageStorage === "efs" && !opts.mount) {
    throw new UsageError(`the image reads its assets from an EFS mount at ${opts.imageAssetRoot ?? "/mnt/…"}`, {
      hint: `Export them to a folder (mlpack export --to DIR) and pass --mount DIR:${opts.imageAssetRoot ?? "/mnt/models"}.`,
    });
  }
  if (opts.imageStorage === "s3" && !opts.s3Endpoint) {
    throw new UsageError("the image downloads its assets from S3 at cold start, and verify runs it without network", {
      hint: "Run an S3-compatible server on 127.0.0.1 holding the export (mlpack export --to s3://… --endpoint URL) and pass --s3-endpoint URL.",
    });
  }
  if (opts.mount) {
    if (opts.imageAssetRoot && opts.imageStorage === "efs" && opts.imageAssetRoot !== opts.mount.path) {
      throw new UsageError(`--mount target ${opts.mount.path}, but the image reads its assets at ${opts.imageAssetRoot}`, {
        hint: `Use --mount ${opts.mount.dir}:${opts.imageAssetRoot}.`,
      });
    }
    try {
      statSync(join(opts.mount.dir, MANIFEST_FILE));
    } catch {
      opts.warn(`${opts.mount.dir} has no ${MANIFEST_FILE}: not a complete export (run mlpack export --to ${opts.mount.dir})`);
    }
    run.mounts.push({ source: opts.mount.dir, target: opts.mount.path });
    run.description = `EFS export ${opts.mount.dir} at ${opts.mount.path} (read-only)`;
  }
  if (opts.s3Endpoint) {
    const url = parseEndpoint(opts.s3Endpoint, "--s3-endpoint");
    if (!isLoopbackHost(url.hostname)) {
      throw new UsageError(`--s3-endpoint ${opts.s3Endpoint} must be on loopback (127.0.0.1, ::1, localhost)`, {
        hint: "verify gives the container the host's network only to reach a local S3 server; it never talks to AWS.",
      });
    }
    const id = opts.env.AWS_ACCESS_KEY_ID;
    const secret = opts.env.AWS_SECRET_ACCESS_KEY;
    if (!id || !secret) {
      throw new UsageError("--s3-endpoint needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the local server", {
        hint: "Set the test credentials the server accepts (s3rver: S3RVER/S3RVER); verify passes them to the container.",
      });
    }
    run.network = "host";
    run.ephemeralAssets = true;
    run.env = {
      AWS_ENDPOINT_URL_S3: url.toString().replace(/\/$/, ""),
      AWS_ACCESS_KEY_ID: id,
      AWS_SECRET_ACCESS_KEY: secret,
      ...(opts.env.AWS_SESSION_TOKEN ? { AWS_SESSION_TOKEN: opts.env.AWS_SESSION_TOKEN } : {}),
      // After the loader has the assets, any network use in the process fails loudly: they must load offline.
      MLPACK_ASSETS_SEAL_NETWORK: "1",
    };
    run.description = `S3 endpoint ${run.env.AWS_ENDPOINT_URL_S3} (network host, sealed after loading)`;
  }
  return run;
}
