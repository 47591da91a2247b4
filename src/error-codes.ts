/**
 * Every error code mlpack can emit, with its exit code (DESIGN.md §7) and what it means for the user.
 * `docs/cli.md`'s error table is generated from this list, and `test/architecture/error-codes.test.ts` fails
 * when a `code: "E_…"` in src/ is missing here or a code here is never used: add a line with every new code.
 */
export interface ErrorCodeSpec {
  exitCode: 1 | 2 | 3 | 4 | 5 | 130;
  meaning: string;
}

export const ERROR_CODES = {
  // 1: a check failed, the environment got in the way, or a bug
  E_LOCK_DRIFT: { exitCode: 1, meaning: "`discover --check`: mlpack.lock.json is out of date" },
  E_VERIFY_FAILED: { exitCode: 1, meaning: "`verify`: the image failed to load its assets like Lambda would" },
  E_NO_SPACE: { exitCode: 1, meaning: "a disk filled up; the folder is named, nothing half-written is kept" },
  E_BUSY: { exitCode: 1, meaning: "another mlpack command is working on this project (its pid is named)" },
  E_SOURCE_CHANGED: {
    exitCode: 1,
    meaning: "a staged file changed (or was swapped for a link) while mlpack read it; nothing was committed",
  },
  E_LAMBDA_RULES: {
    exitCode: 1,
    meaning: "`verify --static` / `assemble`: the image breaks a Lambda deploy-time rule (each finding names it)",
  },
  E_DOCKER_LOAD: { exitCode: 1, meaning: "the Docker engine refused the asset image on `bundle --load`" },
  E_INTERNAL: { exitCode: 1, meaning: "an internal error with a known cause" },
  E_UNEXPECTED: { exitCode: 1, meaning: "a bug in mlpack: rerun with --verbose and report the stack" },
  // 2: usage, config, or an input the user gave
  E_USAGE: { exitCode: 2, meaning: "a flag or argument is wrong" },
  E_CONFIG: { exitCode: 2, meaning: "mlpack.json is invalid (the key is named)" },
  E_NO_LOCK: { exitCode: 2, meaning: "there is no mlpack.lock.json yet: run `mlpack discover` first" },
  E_BAD_LOCK: { exitCode: 2, meaning: "mlpack.lock.json is invalid (the key and the rule are named)" },
  E_NO_ASSETS: { exitCode: 2, meaning: "the lock lists no assets" },
  E_ASSET_MISSING: { exitCode: 2, meaning: "a staged asset listed in the lock is not in .mlpack/assets" },
  E_ASSET_STALE: { exitCode: 2, meaning: "a staged asset no longer matches the lock" },
  E_IMAGE_NOT_FOUND: { exitCode: 2, meaning: "the image is not in the local engine and could not be pulled" },
  E_NO_ASSET_IMAGE: { exitCode: 2, meaning: "no asset image was loaded or pushed yet" },
  E_ASSET_IMAGE_UNPINNED: { exitCode: 2, meaning: "the asset image cannot be pinned by digest" },
  E_STALE_ASSET_IMAGE: {
    exitCode: 2,
    meaning: "the pushed or loaded asset image is not the current bundle of mlpack.lock.json (the command to run is named)",
  },
  E_UNSAFE_VALUE: { exitCode: 2, meaning: "a value cannot be written into a Dockerfile safely (line break, bad name)" },
  E_OUTSIDE_PROJECT: {
    exitCode: 2,
    meaning: "a path from mlpack.json leads outside the project (only a path on the command line may)",
  },
  E_LAYOUT_INVALID: { exitCode: 2, meaning: "the OCI layout is missing or unreadable" },
  E_LAYOUT_TAG_TAKEN: {
    exitCode: 2,
    meaning: "`bundle --layout`: another image in that layout already has the tag (mlpack never replaces it)",
  },
  E_UNSAFE_PATH: {
    exitCode: 2,
    meaning: "an asset root, lock target or tar name would leave the asset folder (absolute, `..`, NUL)",
  },
  E_TEMPLATE_MISSING: { exitCode: 2, meaning: "a template file is missing from the installation" },
  E_FILE_EXISTS: { exitCode: 2, meaning: "`init` would overwrite a file (use --force)" },
  E_PERMISSION: { exitCode: 2, meaning: "permission denied on a path the user gave" },
  E_READ_ONLY: { exitCode: 2, meaning: "a path the user gave is on a read-only filesystem" },
  E_IS_DIRECTORY: { exitCode: 2, meaning: "a file path the user gave is a directory" },
  E_NOT_DIRECTORY: { exitCode: 2, meaning: "a folder path the user gave is a file, or its parent is" },
  E_UNSUPPORTED_NAME: { exitCode: 2, meaning: "a file name is not valid UTF-8 (the path is named, escaped)" },
  E_BAD_REFERENCE: { exitCode: 2, meaning: "an image reference is malformed or names no registry where one is needed" },
  E_MEDIA_TYPE: {
    exitCode: 2,
    meaning: "`assemble`: a layer has no type in the app manifest's family (e.g. uncompressed under Docker v2s2)",
  },
  E_MULTI_PLATFORM: {
    exitCode: 2,
    meaning: "the image is a multi-platform index and no --platform picks one (Lambda takes a single image)",
  },
  E_ASSET_IMAGE_STALE: {
    exitCode: 2,
    meaning: "`assemble`: the asset image was built from another mlpack.lock.json than the one here",
  },
  E_PATH_NOT_FOUND: { exitCode: 2, meaning: "a path the user gave does not exist" },
  E_INCLUDE_WORK_DIR: {
    exitCode: 2,
    meaning: "an `--include` folder is, holds or lies inside the project's `.mlpack/` work folder",
  },
  E_WORKDIR_OVERLAP: {
    exitCode: 2,
    meaning: "`discover.workdir` lies in a cache folder: the project's own files would be packaged",
  },
  E_INCLUDE_SECRET: {
    exitCode: 2,
    meaning: "`--include` names a credentials folder (.aws, .ssh, .docker, …), which mlpack never packages",
  },
  E_EXPORT_CONFLICT: {
    exitCode: 2,
    meaning: "`export --to DIR`: a folder the export did not write is where it must write (move it, or --prune)",
  },
  E_PRUNE_FOREIGN: {
    exitCode: 2,
    meaning: "`export --to DIR --prune` on a non-empty folder no mlpack export wrote (no mlpack-assets.json): it would delete all of it",
  },
  // 3, 4, 5, 130
  E_DOCKER_UNAVAILABLE: { exitCode: 3, meaning: "the Docker engine cannot be reached" },
  E_MODEL_COMMAND: { exitCode: 4, meaning: "the model command failed, timed out or could not start" },
  E_REGISTRY: { exitCode: 5, meaning: "the registry answered with an error" },
  E_REGISTRY_AUTH: { exitCode: 5, meaning: "registry or AWS authentication failed" },
  E_REGISTRY_UNREACHABLE: { exitCode: 5, meaning: "the registry could not be reached" },
  E_REPOSITORY_NOT_FOUND: { exitCode: 5, meaning: "the repository does not exist (and may not be created)" },
  E_S3: { exitCode: 5, meaning: "S3 answered with an error (its code is named)" },
  E_S3_AUTH: { exitCode: 5, meaning: "S3 refused the credentials or the IAM action (the action is named)" },
  E_S3_NO_BUCKET: { exitCode: 5, meaning: "the S3 bucket of `--to` does not exist" },
  E_S3_UNREACHABLE: { exitCode: 5, meaning: "the S3 endpoint could not be reached" },
  E_REGISTRY_TIMEOUT: {
    exitCode: 5,
    meaning: "the registry stopped answering within a deadline (the host and the step are named)",
  },
  E_REGISTRY_RESPONSE_TOO_LARGE: {
    exitCode: 5,
    meaning: "the registry sent a larger answer than any valid one (an endless body is cut off)",
  },
  E_REGISTRY_INSECURE: {
    exitCode: 5,
    meaning: "the registry sent mlpack to plain http or to another origin; no credentials were sent there",
  },
  E_INTERRUPTED: { exitCode: 130, meaning: "interrupted (Ctrl-C); what was started was cleaned up" },
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;
