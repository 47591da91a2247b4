import { readFile } from "node:fs/promises";
import { UsageError } from "../errors.js";
import { parseDestination } from "../export/destination.js";
import type { Lock } from "../lock/lock.js";
import { formatBytes } from "../util/format-bytes.js";
import { printfFileInstruction } from "./wrapper.js";

/**
 * `dockerfile --storage efs|s3`: the seeds' other two architectures. The image carries no asset layers; the
 * libraries find their caches on an EFS mount, or under /tmp where the loader module put them at cold start.
 * Pure planning here (golden-tested through render.ts); render.ts writes the lines.
 */
export type Storage = "oci" | "efs" | "s3";

export interface StorageOptions {
  storage: Storage;
  /** --mount (efs): Lambda's LocalMountPath. */
  mount?: string;
  /** --bucket/--prefix (s3): where `mlpack export --to s3://…` put the assets. */
  bucket?: string;
  prefix?: string;
}

export interface StoragePlan {
  kind: "efs" | "s3";
  /** Where the assets are at run time: the root the ENV block points each library under. */
  root: string;
  /** Variables beyond the assets' own (the loader's settings). */
  env: Record<string, string>;
  /** Comment text above the ENV block (render wraps it). */
  comments: string[];
  /** s3: the loader module to write into the image, next to the handler. */
  loader?: { path: string; source: string };
  warnings: string[];
}

/** Label on EFS- and S3-style images (`dockerfile --storage`), so verify knows what to give them. */
export const LABEL_STORAGE = "dev.mlpack.storage";

/** --mount's default (settings.ts): the mount path the AWS samples use. */
export const DEFAULT_MOUNT = "/mnt/models";

/** Where the S3 loader puts the assets (the default of its MLPACK_ASSETS_DIR). */
export const S3_LOCAL_ROOT = "/tmp/mlpack-assets";
export const LOADER_MODULE = "mlpack_assets";
/** Lambda's LocalMountPath rule (API FileSystemConfig): one folder under /mnt, at most 160 characters. */
const MOUNT_PATH = /^\/mnt\/[A-Za-z0-9._-]+$/;
const MIB = 1024 * 1024;
/** Lambda's ephemeral storage (/tmp): 512 MB by default, up to 10,240 MB. */
const TMP_DEFAULT_MB = 512;
const TMP_MAX_MB = 10_240;

/** Checks --mount against Lambda's LocalMountPath rule. */
export function checkMountPath(mount: string, flag = "--mount"): string {
  const name = mount.slice("/mnt/".length);
  if (!MOUNT_PATH.test(mount) || mount.length > 160 || name === "." || name === "..") {
    throw new UsageError(`${flag} ${JSON.stringify(mount)} is not a path Lambda can mount EFS at`, {
      hint: "Lambda's LocalMountPath must match ^/mnt/[a-zA-Z0-9-_.]+$ (one folder under /mnt, at most 160 characters), e.g. /mnt/models.",
    });
  }
  return mount;
}

/** /tmp the function needs for the assets: their bytes plus a tenth and 64 MiB for the runtime's own use. */
export function ephemeralStorageMb(bytes: number): number {
  return Math.max(TMP_DEFAULT_MB, Math.ceil((bytes * 1.1) / MIB) + 64);
}

/** The plan for --storage efs|s3, or undefined for the baked (oci) image. `taskRoot`: where the code goes. */
export function planStorage(lock: Lock, opts: StorageOptions, taskRoot: string, loaderSource?: string): StoragePlan | undefined {
  if (opts.storage === "oci") return undefined;
  const bytes = lock.assets.reduce((n, a) => n + a.bytes, 0);
  if (opts.storage === "efs") {
    const root = checkMountPath(opts.mount ?? DEFAULT_MOUNT);
    return {
      kind: "efs",
      root,
      env: {},
      comments: [
        `Assets on EFS (${formatBytes(bytes)}), mounted at ${root}: no asset layers in this image; each library reads ${root}/<target>.`,
        "Fill the file system with `mlpack export --to <the access point's folder>` from a machine or CI job that mounts it; the manifest mlpack-assets.json is written last.",
        `Lambda: FileSystemConfigs [{Arn: <access point ARN>, LocalMountPath: ${root}}], in a VPC that reaches the EFS mount targets.`,
        "The access point's POSIX user (the AWS samples: uid/gid 1001, root folder created 0750) reads the assets; the export writes files 0644 and folders 0755, readable by any uid.",
        "The function only reads them: grant elasticfilesystem:ClientMount without ClientWrite, and the mount is read-only.",
      ],
      warnings: [],
    };
  }
  if (!opts.bucket) {
    throw new UsageError("--storage s3 needs --bucket (and usually --prefix)", {
      hint: "Name where `mlpack export --to s3://BUCKET/PREFIX` put the assets, or run that export first: its bucket and prefix become the defaults.",
    });
  }
  const dest = parseDestination(`s3://${opts.bucket}/${opts.prefix ?? ""}`, "/", "--bucket/--prefix");
  if (dest.kind !== "s3") throw new UsageError(`--bucket ${opts.bucket} is not a bucket name`);
  if (loaderSource === undefined) throw new UsageError("planStorage: --storage s3 needs the loader source");
  const mb = ephemeralStorageMb(bytes);
  const warnings =
    mb > TMP_MAX_MB
      ? [
          `the assets (${formatBytes(bytes)}) do not fit in Lambda's /tmp (at most ${TMP_MAX_MB} MB): use --storage efs or oci for them`,
        ]
      : [];
  const loaderPath = `${taskRoot.replace(/\/+$/, "")}/${LOADER_MODULE}.py`;
  return {
    kind: "s3",
    root: S3_LOCAL_ROOT,
    env: { MLPACK_ASSETS_BUCKET: dest.bucket, MLPACK_ASSETS_PREFIX: dest.prefix },
    comments: [
      `Assets on S3 at ${dest.url} (${formatBytes(bytes)}): no asset layers in this image.`,
      `At cold start ${LOADER_MODULE} (written to ${loaderPath} below) downloads them into ${S3_LOCAL_ROOT}, checks every sha256 against the export's manifest and sets these variables: the handler module imports it first, \`import ${LOADER_MODULE}\`, before any ML library.`,
      `Give the function ephemeral storage of at least ${mb} MB (/tmp is ${TMP_DEFAULT_MB} MB by default, ${TMP_MAX_MB} MB at most) and s3:GetObject on arn:aws:s3:::${dest.bucket}/${dest.prefix ? `${dest.prefix}/` : ""}*.`,
      "Lambda caps the init phase at 10 s; a longer download is retried inside the first invoke (provisioned concurrency avoids that).",
    ],
    loader: { path: loaderPath, source: loaderSource },
    warnings,
  };
}

/** The loader module shipped in the package (templates/loader/). */
export async function loadLoaderSource(): Promise<string> {
  return readFile(new URL("../../templates/loader/mlpack_assets.py", import.meta.url), "utf8");
}

/**
 * A RUN that writes `source` to `path` with printf, one quoted argument per line, so the Dockerfile alone
 * builds the image (no file in the build context) with the legacy builder too. Blank lines and comment-only
 * lines are left out (Python needs neither), and every line is quoted, so none can start a Dockerfile comment
 * or end the instruction. Source lines with a control character other than TAB are refused.
 */
export function writeFileInstruction(path: string, source: string): string {
  if (!/^\/[A-Za-z0-9._/-]+$/.test(path)) throw new UsageError(`refusing to write the loader to ${JSON.stringify(path)}`);
  const lines = source
    .replace(/\n$/, "")
    .split("\n")
    .filter((l) => l.trim() !== "" && !/^\s*#/.test(l));
  for (const l of lines) {
    if (/[\0-\x08\x0a-\x1f\x7f]/.test(l)) throw new UsageError(`the loader source has a control character: ${JSON.stringify(l)}`);
  }
  return printfFileInstruction(path, lines, "0644");
}
