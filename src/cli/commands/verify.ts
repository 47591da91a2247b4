import { existsSync } from "node:fs";
import { join } from "node:path";
import { CheckFailedError, UsageError } from "../../errors.js";
import { LOCK_FILE, readLock } from "../../lock/lock.js";
import type { Finding, VerifyResult } from "../../verify/index.js";
import type { CommandContext } from "./index.js";

export async function runVerify(ctx: CommandContext): Promise<void> {
  if (ctx.settings.static === true) return (await import("./verify-static.js")).runVerifyStatic(ctx);
  const [image, ...command] = ctx.args;
  if (!image) {
    throw new UsageError("verify needs the image to run", {
      hint: "mlpack verify IMAGE [-- command...], e.g. mlpack verify my-function:latest",
    });
  }
  const lockPath = join(ctx.cwd, LOCK_FILE);
  const lock = existsSync(lockPath) ? await readLock(lockPath) : undefined;
  // Loaded after the --static branch: a static check reads registries and layouts, never the engine.
  const [{ connectDocker }, { verifyImage }] = await Promise.all([import("../../docker/client.js"), import("../../verify/index.js")]);
  const docker = await connectDocker({ env: ctx.env });
  const result = await verifyImage(
    docker,
    {
      image,
      command,
      uid: ctx.settings.uid as number,
      tmpSizeMb: ctx.settings.tmpSize as number,
      timeoutSec: ctx.settings.timeout as number,
      storage: {
        ...(ctx.settings.mount ? { mount: ctx.settings.mount as string } : {}),
        ...(ctx.settings.s3Endpoint ? { s3Endpoint: ctx.settings.s3Endpoint as string } : {}),
        cwd: ctx.cwd,
        env: ctx.env,
      },
      ...(lock ? { lock } : {}),
    },
    { emit: ctx.out.emit, signal: ctx.signal },
  );
  if (result.lock?.sameAsImage === false) {
    ctx.out.warn(
      `${image} was built from another ${LOCK_FILE} than the one here; lock problems are only warnings`,
    );
  }
  for (const f of result.findings) if (f.severity === "warning") ctx.out.warn(f.message);
  if (!result.ok) {
    throw new CheckFailedError(failureMessage(result), {
      code: "E_VERIFY_FAILED",
      hint: "Point each library at its baked cache with the ENV the Dockerfile sets, keep writes under /tmp, and do not download at run time (`mlpack dockerfile` writes the ENV block).",
      details: result,
    });
  }
  // "command" is the envelope's field in --json documents, so the command that ran is reported as argv.
  const { command: argv, ...rest } = result;
  ctx.out.result("verify", { ...rest, argv }, () => report(result));
}

function describe(result: VerifyResult): string {
  const what =
    result.commandSource === "handler" ? `import of handler ${result.handler}` : result.command.join(" ");
  const network = result.network === "host" ? "host network for the S3 endpoint" : "no network";
  const assets = result.storage ? `, assets from ${result.storage}` : "";
  return `${result.image} as uid ${result.user}, read-only root, ${network}, /tmp ${result.tmpSizeMb} MB${assets}: ${what}`;
}

function bullet(f: Finding): string {
  return `  - [${f.kind}] ${f.message}`;
}

function tail(result: VerifyResult): string[] {
  return result.outputTail === "" ? ["--- output: (none)"] : ["--- output (last lines):", result.outputTail];
}

function report(result: VerifyResult): string {
  return [`PASS ${describe(result)}`, ...tail(result)].join("\n");
}

function failureMessage(result: VerifyResult): string {
  const errors = result.findings.filter((f) => f.severity === "error");
  return [`FAIL ${describe(result)}`, ...errors.map(bullet), ...tail(result)].join("\n");
}
