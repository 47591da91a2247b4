/**
 * Lambda's deploy-time rules: what `CreateFunction`/`UpdateFunctionCode` refuse (or what breaks the first
 * invoke) that neither docker, the runtime interface emulator nor SAM notices locally
 * (reference/next-steps.md §1.4). Each finding names the rule, and where it can, the layer and the path.
 */

export type RuleId =
  | "single-platform"
  | "platform"
  | "media-type-family"
  | "gzip-under-docker"
  | "parent-directories"
  | "size-limit"
  | "readable-files"
  | "manifest-size"
  | "layer-format";

export const RULES: Record<RuleId, string> = {
  "single-platform": "one image manifest, not an index (Lambda takes no multi-platform image)",
  platform: "linux on amd64 (x86_64) or arm64",
  "media-type-family": "manifest, config and layers all Docker v2s2 or all OCI, never a mix",
  "gzip-under-docker": "gzip layers under a Docker v2s2 manifest (ImageLayerFailure: UnsupportedImageLayerDetected)",
  "parent-directories": "every entry's parent directories come before it in its layer (MissingParentDirectory)",
  "size-limit": "at most 10 GiB uncompressed, all layers together (SizeLimitExceeded)",
  "readable-files": "every file under the asset root readable by a non-root user (Lambda does not run as root)",
  "manifest-size": "a small manifest (Lambda advises < 25,400 bytes; ECR takes at most 4 MiB)",
  "layer-format": "every layer is a readable tar stream (plain or gzip)",
};

export interface Finding {
  rule: RuleId;
  severity: "error" | "warning";
  message: string;
  /** 1-based layer number and digest, for layer findings. */
  layer?: { index: number; digest: string };
  /** The entry path inside the layer (no leading slash), for entry findings. */
  path?: string;
}

/** Lambda's limit: "Uncompressed container image size exceeds 10 GiB limit". */
export const LAMBDA_UNCOMPRESSED_LIMIT = 10 * 1024 ** 3;
/** "For optimal performance, keep your image manifest size under 25,400 bytes." */
export const MANIFEST_SIZE_ADVICE = 25_400;
/** ECR's `imageManifest` maximum. */
export const MANIFEST_SIZE_MAX = 4 * 1024 * 1024;
/** Lambda's architectures, as image configs spell them. */
export const LAMBDA_ARCHITECTURES = ["amd64", "arm64"] as const;
