import { relative } from "node:path";
import { UsageError } from "../../errors.js";
import { type CiProvider, init, isCiProvider } from "../../init/index.js";
import type { CommandContext } from "./index.js";

function provider(value: unknown): CiProvider | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string" && isCiProvider(value)) return value;
  throw new UsageError(`--ci ${String(value)} is not one of github, gitlab`);
}

export async function runInit(ctx: CommandContext): Promise<void> {
  const result = await init({
    projectDir: ctx.cwd,
    ci: provider(ctx.settings.ci),
    force: ctx.settings.force === true,
    version: ctx.version,
  });
  // stdout is the result (the files written); the advice is for people reading along (stderr, not under -q).
  ctx.out.result("init", { files: result.files, ci: result.ci }, () =>
    result.files
      .map((f) => `${f.action === "created" ? "wrote" : "overwrote"} ${relative(ctx.cwd, f.path)}`)
      .join("\n"),
  );
  ctx.out.info("Next: set discover.command (and discover.image) in mlpack.json, then run `mlpack discover`.");
  if (result.ci === "github") {
    ctx.out.info(
      "CI: set the repository variables AWS_REGION and MLPACK_AWS_ROLE_ARN (an IAM role trusting GitHub's OIDC provider), and the mlpack install line in the workflow.",
    );
  } else if (result.ci === "gitlab") {
    ctx.out.info(
      "CI: set the CI/CD variables AWS_REGION and MLPACK_AWS_ROLE_ARN (an IAM role trusting GitLab's OIDC provider), and the mlpack install line in the pipeline.",
    );
  }
}
