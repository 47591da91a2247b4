import type Docker from "dockerode";
import { UsageError } from "../errors.js";
import type { RunContext } from "../events.js";
import type { Lock } from "../lock/lock.js";
import { runToCompletion, type StoppedContainer } from "./container-run.js";
import { changedFindings, type Finding, outputFindings, scanOutput } from "./diagnose.js";
import { assetOf, checkAgainstLock, type LockCheck } from "./lock-check.js";
import { parseEnvList } from "../docker/env-list.js";
import { type ImageFacts, planVerify } from "./plan.js";

export interface VerifyOptions {
  image: string;
  /** Command to run; empty = import the handler named by the image's CMD (or run the image's own command). */
  command: readonly string[];
  uid: number;
  tmpSizeMb: number;
  /** The project's lock, when there is one: the image's ENV and asset directories are checked against it. */
  lock?: Lock;
  /** Lambda's own maximum by default. */
  timeoutSec?: number;
  labels?: Readonly<Record<string, string>>;
}

export interface VerifyResult {
  ok: boolean;
  image: string;
  imageId: string;
  command: string[];
  commandSource: "argument" | "handler" | "image";
  handler: string | null;
  user: string;
  tmpSizeMb: number;
  addedEnv: Record<string, string>;
  exitCode: number | null;
  timedOut: boolean;
  /** The last lines of the command's output. */
  outputTail: string;
  findings: Finding[];
  lock: { digest: string; sameAsImage: boolean | null; assetRoot: string } | null;
}

const LAMBDA_MAX_TIMEOUT_SEC = 900;
const MAX_PATH_CHECKS = 32;

/** Runs the image like Lambda does and reports whether it passed and, if not, why in Lambda's terms. */
export async function verifyImage(
  docker: Docker,
  opts: VerifyOptions,
  ctx: RunContext,
): Promise<VerifyResult> {
  const info = await docker
    .getImage(opts.image)
    .inspect()
    .catch((error: { statusCode?: number }) => {
      if (error.statusCode === 404) {
        throw new UsageError(`image ${opts.image} is not in the local Docker engine`, {
          code: "E_IMAGE_NOT_FOUND",
          hint: "Build it first (docker build -t NAME .); verify runs local images and never pulls.",
        });
      }
      throw error;
    });
  const facts: ImageFacts = {
    id: info.Id,
    env: parseEnvList(info.Config?.Env ?? []),
    entrypoint: asList(info.Config?.Entrypoint),
    cmd: asList(info.Config?.Cmd),
    labels: info.Config?.Labels ?? {},
  };
  const plan = planVerify(facts, {
    command: opts.command,
    uid: opts.uid,
    tmpSizeMb: opts.tmpSizeMb,
    ...(opts.labels ? { labels: opts.labels } : {}),
  });
  const lockCheck = opts.lock ? checkAgainstLock(opts.lock, facts.env, facts.labels) : undefined;
  ctx.emit({
    type: "step",
    message: `running ${opts.image} read-only, without network, as uid ${opts.uid}: ${plan.display.join(" ").slice(0, 120)}`,
  });
  const timeoutSec = opts.timeoutSec ?? LAMBDA_MAX_TIMEOUT_SEC;
  return runToCompletion(
    docker,
    plan.create,
    { timeoutSec, ...(ctx.signal ? { signal: ctx.signal } : {}) },
    async (run, stopped) => {
      const failed = run.exitCode !== 0;
      const severity: Finding["severity"] = failed ? "error" : "warning";
      const scan = scanOutput(run.output);
      const findings: Finding[] = [
        ...outputFindings(scan, severity),
        ...changedFindings(await stopped.changes()),
        ...(lockCheck ? await assetFindings(lockCheck, scan.paths, stopped, severity) : []),
      ];
      if (failed && !findings.some((f) => f.severity === "error")) {
        findings.push({
          kind: "command",
          severity: "error",
          message: run.timedOut ? `timed out after ${timeoutSec}s` : `exited with code ${run.exitCode}`,
        });
      }
      const tail = run.output.trimEnd().split("\n").slice(-30).join("\n");
      return {
        ok: !failed && !findings.some((f) => f.severity === "error"),
        image: opts.image,
        imageId: facts.id,
        command: plan.display,
        commandSource: plan.source,
        handler: plan.handler ?? null,
        user: `${opts.uid}:${opts.uid}`,
        tmpSizeMb: opts.tmpSizeMb,
        addedEnv: plan.addedEnv,
        exitCode: run.exitCode,
        timedOut: run.timedOut,
        outputTail: tail,
        findings,
        lock: lockCheck
          ? { digest: lockCheck.lockDigest, sameAsImage: lockCheck.sameLock, assetRoot: lockCheck.assetRoot }
          : null,
      };
    },
  );
}

/**
 * Variable problems from the lock, asset directories the image lacks, and paths under the asset root that the
 * output mentions but the image does not have (a missing COPY, a pruned file).
 */
async function assetFindings(
  check: LockCheck,
  mentioned: readonly string[],
  stopped: StoppedContainer,
  outputSeverity: Finding["severity"],
): Promise<Finding[]> {
  const severity: Finding["severity"] = check.sameLock === false ? "warning" : "error";
  const findings: Finding[] = [...check.findings];
  const missingDirs = new Set<string>();
  for (const dir of check.assetDirs) {
    if (await stopped.exists(dir.path)) continue;
    missingDirs.add(dir.path);
    findings.push({
      kind: "missing-asset",
      severity,
      asset: dir.asset,
      path: dir.path,
      message: `${dir.path} is not in the image: the COPY --from=mlpack-assets line for asset ${dir.asset} is missing`,
    });
  }
  const root = check.assetRoot === "/" ? "/" : `${check.assetRoot}/`;
  const underRoot = mentioned.filter(
    (p) => p.startsWith(root) && ![...missingDirs].some((d) => p === d || p.startsWith(`${d}/`)),
  );
  for (const path of underRoot.slice(0, MAX_PATH_CHECKS)) {
    if (await stopped.exists(path)) continue;
    const asset = assetOf(path, check.assetDirs);
    findings.push({
      kind: "missing-path",
      severity: outputSeverity,
      path,
      ...(asset ? { asset } : {}),
      message: `${path} is mentioned in the output but is not in the image${asset ? ` (asset ${asset})` : ""}`,
    });
  }
  return findings;
}

function asList(value: string | string[] | null | undefined): string[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
