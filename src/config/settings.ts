/**
 * Every setting mlpack has, defined once. The commander options, the `mlpack.json` schema, the `MLPACK_*`
 * environment names and the help text are all generated from this table, so they cannot drift apart.
 */
export type SettingKind = "string" | "number" | "boolean" | "list" | "choice";

export interface SettingSpec {
  /** camelCase key inside the command's section of mlpack.json. */
  key: string;
  /** commander flag syntax, e.g. "--image <ref>". */
  flags: string;
  description: string;
  kind: SettingKind;
  choices?: readonly string[];
  default?: string | number | boolean | readonly string[];
  /** false for flags that only make sense on the command line (e.g. --check). */
  inConfig?: boolean;
  /** Also accept --no-<flag> to turn a default-on boolean off. */
  negatable?: boolean;
  /**
   * kind "number": the accepted range, inclusive. Every number setting has both bounds (a test enforces it),
   * checked the same way for the flag, the MLPACK_* variable and the mlpack.json key.
   */
  min?: number;
  max?: number;
  /** kind "number": whole numbers only. */
  integer?: boolean;
  /** kind "number": what the number counts, for help and errors ("seconds", "MB"). */
  unit?: string;
  /** Advice added to the error when a value is refused (e.g. why uid 0 is not allowed). */
  rangeHint?: string;
}

export type SectionName =
  | "global"
  | "discover"
  | "bundle"
  | "push"
  | "dockerfile"
  | "verify"
  | "assemble"
  | "export"
  | "catalog"
  | "init";

const ASSET_ROOT: SettingSpec = {
  key: "assetRoot",
  flags: "--asset-root <path>",
  description: "directory in the asset image that holds the caches",
  kind: "string",
  default: "/cache",
};

/**
 * Timeouts: positive and at most a day (Node's timers overflow past 2^31 ms, ~24.8 days, and fire at once;
 * no model run or verify needs more than a day).
 */
const TIMEOUT_RANGE = { min: 1, max: 86_400, unit: "seconds" } as const;

export const SETTINGS: Record<SectionName, readonly SettingSpec[]> = {
  global: [
    {
      key: "json",
      flags: "--json",
      description: "print one JSON document on stdout",
      kind: "boolean",
      default: false,
      inConfig: false,
    },
    {
      key: "quiet",
      flags: "-q, --quiet",
      description: "print only results and errors",
      kind: "boolean",
      default: false,
    },
    {
      key: "verbose",
      flags: "-v, --verbose",
      description: "print details and stack traces",
      kind: "boolean",
      default: false,
    },
    {
      key: "color",
      flags: "--no-color",
      description: "disable colour (also NO_COLOR)",
      kind: "boolean",
      default: true,
    },
    {
      key: "progress",
      flags: "--no-progress",
      description: "disable progress output",
      kind: "boolean",
      default: true,
    },
    {
      key: "config",
      flags: "--config <file>",
      description: "config file (default ./mlpack.json when present)",
      kind: "string",
      inConfig: false,
    },
    {
      key: "cwd",
      flags: "-C, --cwd <dir>",
      description: "run as if started in <dir>",
      kind: "string",
      inConfig: false,
    },
  ],
  discover: [
    {
      key: "image",
      flags: "--image <ref>",
      description: "image to run the command in",
      kind: "string",
      default: "public.ecr.aws/lambda/python:3.12",
    },
    {
      key: "runner",
      flags: "--runner <runner>",
      description: "where to run the command",
      kind: "choice",
      choices: ["docker", "local"],
      default: "docker",
    },
    {
      key: "workdir",
      flags: "--workdir <path>",
      description: "where the project is copied in the container",
      kind: "string",
      default: "/var/task",
    },
    {
      key: "env",
      flags: "--env <K=V...>",
      description: "extra environment for the command (repeatable)",
      kind: "list",
      default: [],
    },
    {
      key: "network",
      flags: "--network <mode>",
      description: "container network mode (e.g. bridge, host, none)",
      kind: "string",
    },
    {
      key: "timeout",
      flags: "--timeout <sec>",
      description: "stop the command after this many seconds",
      kind: "number",
      default: 3600,
      ...TIMEOUT_RANGE,
    },
    {
      key: "include",
      flags: "--include <path[=VAR]...>",
      description:
        "package this directory too: ~/x, $HOME/x or an absolute path, optionally =VAR naming the variable that moves it (repeatable)",
      kind: "list",
      default: [],
    },
    {
      key: "exclude",
      flags: "--exclude <glob...>",
      description: "never package paths matching this glob (repeatable)",
      kind: "list",
      default: [],
    },
    {
      key: "writable",
      flags: "--writable <id...>",
      description: "give this asset a writable view under /tmp at start (for libraries that write into their cache)",
      kind: "list",
      default: [],
    },
    {
      key: "keep",
      flags: "--keep",
      description: "keep the container for inspection",
      kind: "boolean",
      default: false,
    },
    {
      key: "check",
      flags: "--check",
      description: "compare with mlpack.lock.json instead of writing it; exit 1 on drift",
      kind: "boolean",
      default: false,
      inConfig: false,
    },
    { key: "command", flags: "", description: "the command to run (after --)", kind: "list", default: [] },
  ],
  bundle: [
    {
      key: "tag",
      flags: "--tag <name[:tag]>",
      description: "tag for --load (default mlpack-assets:<12 hex of digest>)",
      kind: "string",
    },
    {
      key: "layout",
      flags: "--layout <dir>",
      description: "OCI image layout directory",
      kind: "string",
      default: ".mlpack/oci",
    },
    {
      key: "load",
      flags: "--load",
      description: "load the image into the local Docker engine",
      kind: "boolean",
      default: false,
    },
    {
      key: "compression",
      flags: "--compression <mode>",
      description: "layer compression",
      kind: "choice",
      choices: ["auto", "gzip", "stored", "none"],
      default: "auto",
    },
    {
      key: "platform",
      flags: "--platform <platform>",
      description: "image platform",
      kind: "choice",
      choices: ["linux/amd64", "linux/arm64"],
      default: "linux/amd64",
    },
    ASSET_ROOT,
  ],
  push: [
    {
      key: "repository",
      flags: "--repository <name>",
      description: "repository to push to",
      kind: "string",
      default: "mlpack-assets",
    },
    { key: "tag", flags: "--tag <tag>", description: "tag (default sha-<12 hex of digest>)", kind: "string" },
    {
      key: "registry",
      flags: "--registry <host>",
      description: "any OCI registry instead of ECR",
      kind: "string",
    },
    { key: "region", flags: "--region <region>", description: "AWS region (ECR)", kind: "string" },
    { key: "profile", flags: "--profile <profile>", description: "AWS profile (ECR)", kind: "string" },
    {
      key: "createRepository",
      flags: "--create-repository",
      description: "create the ECR repository if missing (default)",
      kind: "boolean",
      default: true,
      negatable: true,
    },
    {
      key: "concurrency",
      flags: "--concurrency <n>",
      description: "blobs uploaded at once",
      kind: "number",
      default: 4,
      min: 1,
      max: 64,
      integer: true,
    },
  ],
  dockerfile: [
    {
      key: "assetImage",
      flags: "--asset-image <ref>",
      description: "asset image (default: last pushed, else last loaded)",
      kind: "string",
    },
    {
      key: "target",
      flags: "--target <target>",
      description: "Dockerfile flavour",
      kind: "choice",
      choices: ["lambda", "generic"],
      default: "lambda",
    },
    { key: "base", flags: "--base <ref>", description: "base image", kind: "string" },
    {
      key: "handler",
      flags: "--handler <module.func>",
      description: "Lambda handler",
      kind: "string",
      default: "app.handler",
    },
    {
      key: "requirements",
      flags: "--requirements <file>",
      description: "pip requirements file",
      kind: "string",
    },
    {
      key: "copy",
      flags: "--copy <path...>",
      description: "project paths to copy into the image (repeatable)",
      kind: "list",
      default: [],
    },
    { key: "cmd", flags: "--cmd <cmd>", description: "command for the generic target", kind: "string" },
    {
      key: "link",
      flags: "--link",
      description: "use COPY --link (BuildKit only)",
      kind: "boolean",
      default: false,
    },
    {
      key: "assets",
      flags: "--no-assets",
      description: "write the app-only Dockerfile (no asset COPY, no asset ENV) that `mlpack assemble` builds on",
      kind: "boolean",
      default: true,
    },
    {
      key: "storage",
      flags: "--storage <kind>",
      description: "where the function finds its assets: baked into the image, an EFS mount, or S3 at cold start",
      kind: "choice",
      choices: ["oci", "efs", "s3"],
      default: "oci",
    },
    {
      key: "mount",
      flags: "--mount <dir>",
      description: "EFS mount path of the function (--storage efs)",
      kind: "string",
      default: "/mnt/models",
    },
    { key: "bucket", flags: "--bucket <name>", description: "S3 bucket of the export (--storage s3)", kind: "string" },
    { key: "prefix", flags: "--prefix <prefix>", description: "key prefix of the export (--storage s3)", kind: "string" },
    {
      key: "output",
      flags: "-o, --output <file>",
      description: "write to a file instead of stdout",
      kind: "string",
    },
  ],
  verify: [
    {
      key: "uid",
      flags: "--uid <uid>",
      description: "non-root uid to run as",
      kind: "number",
      default: 993,
      // Linux uids are 32-bit; Docker and Lambda's sandbox users stay below 2^31.
      min: 1,
      max: 2 ** 31 - 1,
      integer: true,
      rangeHint: "Lambda never runs functions as root: pick a non-root uid (Lambda's own is 993).",
    },
    {
      key: "tmpSize",
      flags: "--tmp-size <mb>",
      description: "size of the /tmp tmpfs in MB",
      kind: "number",
      default: 512,
      // Lambda's ephemeral storage ranges from 512 MB to 10240 MB; smaller sizes are fine for a test run.
      min: 1,
      max: 10_240,
      integer: true,
      unit: "MB",
    },
    {
      key: "timeout",
      flags: "--timeout <sec>",
      description: "stop the image after this many seconds (Lambda's own maximum is 900)",
      kind: "number",
      default: 900,
      ...TIMEOUT_RANGE,
    },
    {
      key: "static",
      flags: "--static",
      description: "check the image's manifest and layers against Lambda's deploy-time rules instead of running it",
      kind: "boolean",
      default: false,
      inConfig: false,
    },
    {
      key: "mount",
      flags: "--mount <dir:path>",
      description: "bind-mount an export read-only, e.g. .mlpack/efs:/mnt/models (EFS-style images)",
      kind: "string",
    },
    {
      key: "s3Endpoint",
      flags: "--s3-endpoint <url>",
      description: "S3 endpoint the S3-style image's loader downloads from during verify",
      kind: "string",
    },
  ],
  assemble: [
    {
      key: "app",
      flags: "--app <ref>",
      description: "the app image (registry reference, or an image in the local Docker engine)",
      kind: "string",
    },
    {
      key: "assets",
      flags: "--assets <ref>",
      description: "the asset image (default: the last `mlpack push`)",
      kind: "string",
    },
    {
      key: "repository",
      flags: "--repository <name>",
      description: "repository of the result (default: the app image's)",
      kind: "string",
    },
    {
      key: "tag",
      flags: "--tag <tag>",
      description: "tag of the result (default sha-<12 hex of digest>)",
      kind: "string",
    },
    {
      key: "platform",
      flags: "--platform <platform>",
      description: "the platform to pick from a multi-platform app image",
      kind: "choice",
      choices: ["linux/amd64", "linux/arm64"],
    },
    { key: "profile", flags: "--profile <profile>", description: "AWS profile (ECR)", kind: "string" },
    {
      key: "concurrency",
      flags: "--concurrency <n>",
      description: "blobs copied or mounted at once",
      kind: "number",
      default: 4,
      min: 1,
      max: 64,
      integer: true,
    },
  ],
  // catalog has no settings.
  export: [
    {
      key: "to",
      flags: "--to <dest>",
      description: "s3://BUCKET/PREFIX, or a folder (an EFS mount)",
      kind: "string",
    },
    {
      key: "prune",
      flags: "--prune",
      description: "delete files under the destination that the export did not write",
      kind: "boolean",
      default: false,
    },
    {
      key: "concurrency",
      flags: "--concurrency <n>",
      description: "S3 requests (parts of a large file) or folder files at once",
      kind: "number",
      default: 8,
      min: 1,
      max: 64,
      integer: true,
    },
    { key: "region", flags: "--region <region>", description: "AWS region (S3)", kind: "string" },
    { key: "profile", flags: "--profile <profile>", description: "AWS profile (S3)", kind: "string" },
    {
      key: "endpoint",
      flags: "--endpoint <url>",
      description: "S3-compatible endpoint instead of AWS (e.g. http://127.0.0.1:4568)",
      kind: "string",
    },
  ],
  catalog: [],
  init: [
    {
      key: "ci",
      flags: "--ci <provider>",
      description: "also write a CI workflow",
      kind: "choice",
      choices: ["github", "gitlab"],
      inConfig: false,
    },
    {
      key: "force",
      flags: "--force",
      description: "overwrite existing files",
      kind: "boolean",
      default: false,
      inConfig: false,
    },
  ],
};

/** "createRepository" → "CREATE_REPOSITORY" */
export function envSuffix(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

/** The MLPACK_* variable for a setting: MLPACK_<SECTION>_<KEY>, or MLPACK_<KEY> for globals. */
export function envName(section: SectionName, key: string): string {
  return section === "global"
    ? `MLPACK_${envSuffix(key)}`
    : `MLPACK_${section.toUpperCase()}_${envSuffix(key)}`;
}

/** The rule a number setting's values must follow, as text: "a whole number from 1 to 64". */
export function numberRule(spec: SettingSpec): string {
  const what = `${spec.integer ? "a whole number" : "a number"}${spec.unit ? ` of ${spec.unit}` : ""}`;
  if (spec.min !== undefined && spec.max !== undefined) return `${what} from ${spec.min} to ${spec.max}`;
  if (spec.min !== undefined) return `${what}, at least ${spec.min}`;
  if (spec.max !== undefined) return `${what}, at most ${spec.max}`;
  return what;
}

/** Whether a number follows the setting's rule (finite, whole where required, inside the bounds). */
export function numberAllowed(spec: SettingSpec, value: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (spec.integer && !Number.isInteger(value)) return false;
  if (spec.min !== undefined && value < spec.min) return false;
  return spec.max === undefined || value <= spec.max;
}
