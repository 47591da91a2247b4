import { existsSync } from "node:fs";
import type Docker from "dockerode";
import { LABEL_ASSET_ROOT } from "../bundle/labels.js";
import { UsageError } from "../errors.js";
import type { RunContext } from "../events.js";
import type { Lock } from "../lock/lock.js";
import { runToCompletion, type StoppedContainer } from "./container-run.js";
import { type Finding, outputFindings, pathsOfOtherCauses, scanOutput } from "./diagnose.js";
import { assetOf, checkAgainstLock, type LockCheck } from "./lock-check.js";
import { asList, parseEnvList } from "../docker/env-list.js";
import { LABEL_STORAGE, parseMountFlag, planStorageRun } from "./storage-run.js";
import { type ImageFacts, MANAGED_LABEL, planVerify, type VerifyPlanOptions } from "./plan.js";

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
  /**
   * `--mount DIR:/mnt/x` and `--s3-endpoint URL` for images whose assets are not baked in (`dockerfile
   * --storage efs|s3`, told apart by their dev.mlpack.storage label); `env` is where the S3 credentials come from.
   */
  storage?: { mount?: string; s3Endpoint?: string; cwd: string; env: NodeJS.ProcessEnv };
  /** Extra mounts, env and network for scenarios that need them (export mounts, an S3 endpoint). */
  mounts?: VerifyPlanOptions["mounts"];
  env?: VerifyPlanOptions["env"];
  network?: VerifyPlanOptions["network"];
  labels?: Readonly<Record<string, string>>;
}

export interface VerifyResult {
  ok: boolean;
  image: string;
  imageId: string;
  command: string[];
  commandSource: "argument" | "handler" | "image";
  handler: string | null;
  /** The image's entrypoint wrapper that ran first (writable views, HOME links), or null. */
  wrapper: string[] | null;
  /** VOLUME paths of the image, mounted read-only (Lambda has no volumes). */
  volumes: string[];
  user: string;
  tmpSizeMb: number;
  addedEnv: Record<string, string>;
  exitCode: number | null;
  timedOut: boolean;
  /** The last lines of the command's output. */
  outputTail: string;
  findings: Finding[];
  lock: { digest: string; sameAsImage: boolean | null; assetRoot: string } | null;
  /** Where the assets came from when they are not in the image: "EFS export DIR at /mnt/models (read-only)", … */
  storage: string | null;
  /** "none" as on Lambda without a VPC route; "host" only to reach a loopback --s3-endpoint. */
  network: string;
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
    volumes: Object.keys(info.Config?.Volumes ?? {}),
  };
  const imageStorage = facts.labels[LABEL_STORAGE];
  const storage = planStorageRun({
    imageStorage,
    imageAssetRoot: facts.labels[LABEL_ASSET_ROOT],
    ...(opts.storage?.mount !== undefined ? { mount: parseMountFlag(opts.storage.mount, opts.storage.cwd) } : {}),
    ...(opts.storage?.s3Endpoint !== undefined ? { s3Endpoint: opts.storage.s3Endpoint } : {}),
    env: opts.storage?.env ?? {},
    warn: (message) => ctx.emit({ type: "warning", message }),
  });
  const network = opts.network ?? storage.network;
  const plan = planVerify(facts, {
    command: opts.command,
    uid: opts.uid,
    tmpSizeMb: opts.tmpSizeMb,
    ...(opts.labels ? { labels: opts.labels } : {}),
    mounts: [
      ...storage.mounts.map((m) => ({ Type: "bind" as const, Source: m.source, Target: m.target, ReadOnly: true })),
      ...(opts.mounts ?? []),
    ],
    env: { ...storage.env, ...opts.env },
    network,
  });
  // The S3 loader downloads into /tmp, which is writable: the image has no writable views (render.ts).
  const lock =
    opts.lock && imageStorage === "s3"
      ? { ...opts.lock, assets: opts.lock.assets.map((a) => ({ ...a, writable: false })) }
      : opts.lock;
  const lockCheck = lock ? checkAgainstLock(lock, facts.env, facts.labels) : undefined;
  const mount = storage.mounts[0];
  // Where an asset directory is looked up after the run: in the stopped container, on the host under the
  // bind-mounted export, or nowhere (the S3 loader's /tmp went with the container).
  const exists = (stopped: StoppedContainer) => async (path: string) => {
    if (storage.ephemeralAssets) return true;
    if (mount && (path === mount.target || path.startsWith(`${mount.target}/`))) {
      return existsSync(mount.source + path.slice(mount.target.length));
    }
    return stopped.exists(path);
  };
  ctx.emit({
    type: "step",
    message: `running ${opts.image} read-only, ${network !== "host" ? "without network" : storage.network === "host" ? "on the host network for the S3 endpoint" : "on the host network"}, as uid ${opts.uid}${storage.description ? `, assets from ${storage.description}` : ""}: ${plan.display.join(" ").slice(0, 120)}`,
  });
  const timeoutSec = opts.timeoutSec ?? LAMBDA_MAX_TIMEOUT_SEC;
  return runToCompletion(
    docker,
    plan.create,
    {
      timeoutSec,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      volumes: plan.volumes.map((v) => v.name),
      labels: { ...opts.labels, [MANAGED_LABEL]: "true", "dev.mlpack.command": "verify" },
    },
    async (run, stopped) => {
      const failed = run.exitCode !== 0;
      const severity: Finding["severity"] = failed ? "error" : "warning";
      const scan = scanOutput(run.output);
      const writes = outputFindings(scan, severity);
      if (lockCheck) suggestWritable(writes, lockCheck, opts.lock!);
      const findings: Finding[] = [
        ...writes,
        ...plan.volumes.map((v) => ({
          kind: "volume" as const,
          severity: "warning" as const,
          path: v.target,
          message: `the image declares VOLUME ${v.target}: Lambda has no volumes, so verify mounted it read-only with the image's content`,
        })),
        ...(lockCheck
          ? await assetFindings(lockCheck, scan.paths, pathsOfOtherCauses(scan), exists(stopped), severity, !!mount)
          : []),
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
        wrapper: plan.wrapper,
        volumes: plan.volumes.map((v) => v.target),
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
        storage: storage.description,
        network,
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
  otherCauses: ReadonlySet<string>,
  exists: (path: string) => Promise<boolean>,
  outputSeverity: Finding["severity"],
  mounted: boolean,
): Promise<Finding[]> {
  const severity: Finding["severity"] = check.sameLock === false ? "warning" : "error";
  const findings: Finding[] = [...check.findings];
  const missingDirs = new Set<string>();
  for (const dir of check.assetDirs) {
    if (await exists(dir.path)) continue;
    missingDirs.add(dir.path);
    findings.push({
      kind: "missing-asset",
      severity,
      asset: dir.asset,
      path: dir.path,
      message: mounted
        ? `${dir.path} is not in the mounted export: run \`mlpack export --to\` that folder again (asset ${dir.asset})`
        : `${dir.path} is not in the image: the COPY --from=mlpack-assets line for asset ${dir.asset} is missing`,
    });
  }
  const root = check.assetRoot === "/" ? "/" : `${check.assetRoot}/`;
  // A path a write or a download failed on is not "missing": its finding already names the cause.
  const underRoot = mentioned.filter(
    (p) =>
      p.startsWith(root) &&
      !otherCauses.has(p) &&
      ![...missingDirs].some((d) => p === d || p.startsWith(`${d}/`)),
  );
  for (const path of underRoot.slice(0, MAX_PATH_CHECKS)) {
    if (await exists(path)) continue;
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

/**
 * A write into an asset's directory means the library writes into its cache even on a hit (a lock file, a
 * writability probe): the fix is a writable view, which `--writable <id>` asks for.
 */
function suggestWritable(findings: Finding[], check: LockCheck, lock: Lock): void {
  for (const f of findings) {
    if (f.kind !== "write" || !f.path) continue;
    const id = assetOf(f.path, check.assetDirs);
    if (!id) continue;
    const asset = lock.assets.find((a) => a.id === id);
    f.asset = id;
    if (asset?.writable) {
      f.message += ` (asset ${id} is writable, but the image does not use its view: rebuild it from \`mlpack dockerfile\`)`;
      continue;
    }
    f.suggestion = `mlpack discover --writable ${id}`;
    f.message += ` — the library writes into asset ${id}, which is read-only on Lambda: mark it writable with \`mlpack discover --writable ${id}\` (or discover.writable in mlpack.json), then bundle and write the Dockerfile again`;
  }
}

