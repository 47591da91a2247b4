import type { SectionValues } from "../../config/resolve.js";
import type { SectionName } from "../../config/settings.js";
import type { Output } from "../output.js";

/** What a command handler gets: resolved settings, positional args, the output and the cancel signal. */
export interface CommandContext {
  cwd: string;
  settings: SectionValues;
  global: SectionValues;
  args: string[];
  out: Output;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  version: string;
  /** Another command's settings from mlpack.json and MLPACK_* (no flags), e.g. discover reading bundle.assetRoot. */
  section(name: SectionName): SectionValues;
}

export interface CommandSpec {
  name: Exclude<SectionName, "global">;
  /** commander usage: name plus positional arguments. */
  usage: string;
  summary: string;
  helpAfter?: string;
  /**
   * Whether the command changes the project's `.mlpack/` and so runs under the project lock (one such command
   * at a time; leftovers of dead runs are removed first). "create" makes `.mlpack/` when missing; "existing"
   * locks only a project that has one.
   */
  lock?: "create" | "existing";
  run(ctx: CommandContext): Promise<void>;
}

// Handlers are imported lazily so `mlpack --help` does not load dockerode or the AWS SDK.
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "discover",
    usage: "discover [command...]",
    summary:
      "run the model code in a throwaway container, find its caches, stage them, write mlpack.lock.json",
    helpAfter: "Example:\n  mlpack discover --image my-app:dev -- python app.py",
    lock: "create",
    run: async (ctx) => (await import("./discover.js")).runDiscover(ctx),
  },
  {
    name: "bundle",
    usage: "bundle",
    summary:
      "build a deterministic FROM-scratch asset image from the staged caches (no Docker daemon needed)",
    lock: "create",
    run: async (ctx) => (await import("./bundle.js")).runBundle(ctx),
  },
  {
    name: "push",
    usage: "push",
    summary: "push the asset image to AWS ECR or any OCI registry",
    lock: "existing",
    run: async (ctx) => (await import("./push.js")).runPush(ctx),
  },
  {
    name: "export",
    usage: "export",
    summary: "copy the staged assets to S3 or a folder (an EFS mount), incrementally, with a manifest written last",
    helpAfter:
      "Examples:\n  mlpack export --to s3://my-models/prod\n  mlpack export --to /mnt/efs/models\n  mlpack export --to s3://bucket/p --endpoint http://127.0.0.1:4568",
    lock: "existing",
    run: async (ctx) => (await import("./export.js")).runExport(ctx),
  },
  {
    name: "dockerfile",
    usage: "dockerfile",
    summary: "write a Lambda Dockerfile that copies the assets from the asset image and sets their ENV",
    run: async (ctx) => (await import("./dockerfile.js")).runDockerfile(ctx),
  },
  {
    name: "verify",
    usage: "verify <image> [command...]",
    summary:
      "run the final image like Lambda does (read-only, no network, non-root) and prove the assets load",
    run: async (ctx) => (await import("./verify.js")).runVerify(ctx),
  },
  {
    name: "assemble",
    usage: "assemble",
    summary:
      "put the asset image's layers on an app image by reference (mount or registry-to-registry copy) and push it",
    helpAfter:
      "Example:\n  docker build -t $REG/my-fn:app . && docker push $REG/my-fn:app\n  mlpack assemble --app $REG/my-fn:app     # prints $REG/my-fn@sha256:…",
    lock: "existing",
    run: async (ctx) => (await import("./assemble.js")).runAssemble(ctx),
  },
  {
    name: "init",
    usage: "init",
    summary: "write mlpack.json and, with --ci, a CI workflow",
    run: async (ctx) => (await import("./init.js")).runInit(ctx),
  },
];
