import type { ConfigFile, SectionValues } from "../../config/resolve.js";
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
  /** mlpack.json as loaded and validated ({} when there is none), e.g. its `catalog` entries. */
  config: ConfigFile;
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

/** The "Examples:" block of a command's help. */
export function examples(...lines: string[]): string {
  return `Examples:\n${lines.map((l) => `  ${l}`).join("\n")}`;
}

// Handlers are imported lazily so `mlpack --help` does not load dockerode or the AWS SDK.
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "discover",
    usage: "discover [command...]",
    summary:
      "run the model code in a throwaway container, find its caches, stage them, write mlpack.lock.json",
    helpAfter: examples(
      "mlpack discover --image my-app:dev -- python app.py",
      "mlpack discover --runner local -- python app.py",
      "mlpack discover --check -- python app.py        # CI drift guard: exit 1 when the lock is stale",
    ),
    lock: "create",
    run: async (ctx) => (await import("./discover.js")).runDiscover(ctx),
  },
  {
    name: "bundle",
    usage: "bundle",
    summary:
      "build a deterministic FROM-scratch asset image from the staged caches (no Docker daemon needed)",
    helpAfter: examples("mlpack bundle", "mlpack bundle --load --tag my-assets:v1"),
    lock: "create",
    run: async (ctx) => (await import("./bundle.js")).runBundle(ctx),
  },
  {
    name: "push",
    usage: "push",
    summary: "push the asset image to AWS ECR or any OCI registry",
    helpAfter: examples(
      "mlpack push --repository my-model-assets                        # ECR, AWS SDK credentials",
      "mlpack push --registry 127.0.0.1:5000 --repository team/assets  # any OCI registry",
    ),
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
    helpAfter: examples(
      "mlpack dockerfile -o Dockerfile",
      'mlpack dockerfile --target generic --base python:3.12-slim --cmd "python -m app" -o Dockerfile',
    ),
    run: async (ctx) => (await import("./dockerfile.js")).runDockerfile(ctx),
  },
  {
    name: "verify",
    usage: "verify <image> [command...]",
    summary:
      "run the final image like Lambda does (read-only, no network, non-root) and prove the assets load",
    helpAfter: examples("mlpack verify my-fn:latest", "mlpack verify my-fn:latest -- python3 smoke.py"),
    run: async (ctx) => (await import("./verify.js")).runVerify(ctx),
  },
  {
    name: "assemble",
    usage: "assemble",
    summary:
      "put the asset image's layers on an app image by reference (mount or registry-to-registry copy) and push it",
    helpAfter: `${examples(
      "mlpack assemble --app $REG/my-fn:app     # prints $REG/my-fn@sha256:…",
      "mlpack assemble --app $REG/my-fn:app --tag v42 --json",
    )}\n\nThe app image is pushed (or in the local engine) first: docker build -t $REG/my-fn:app . && docker push $REG/my-fn:app`,
    lock: "existing",
    run: async (ctx) => (await import("./assemble.js")).runAssemble(ctx),
  },
  {
    name: "catalog",
    usage: "catalog [id]",
    summary: "list the caches mlpack knows: the built-in catalog and the entries in mlpack.json",
    helpAfter: `${examples("mlpack catalog", "mlpack catalog huggingface --json")}\n\nTeach mlpack your library in mlpack.json:\n  "catalog": [{ "id": "mylib", "paths": ["~/.mylib"], "env": { "MYLIB_HOME": "{dir}" } }]`,
    run: async (ctx) => (await import("./catalog.js")).runCatalog(ctx),
  },
  {
    name: "init",
    usage: "init",
    summary: "write mlpack.json and, with --ci, a CI workflow",
    helpAfter: examples("mlpack init", "mlpack init --ci github"),
    run: async (ctx) => (await import("./init.js")).runInit(ctx),
  },
];
