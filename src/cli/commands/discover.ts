import { join, resolve } from "node:path";
import { type DiscoverResult, discover } from "../../discover/discover.js";
import { DockerRunner } from "../../discover/docker-runner.js";
import { LocalRunner } from "../../discover/local-runner.js";
import type { Runner } from "../../discover/runner.js";
import { connectDocker } from "../../docker/client.js";
import { CheckFailedError, UsageError } from "../../errors.js";
import {
  diffLocks,
  hasDrift,
  LOCK_FILE,
  type Lock,
  type LockDrift,
  readLock,
  serializeLock,
  writeLock,
} from "../../lock/lock.js";
import { formatBytes, formatTable } from "../format.js";
import type { CommandContext } from "./index.js";

/** `--env K=V` (repeatable) → object; a value without "=" is an error naming it. */
export function parseEnvPairs(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0)
      throw new UsageError(`--env ${pair}: expected KEY=VALUE`, {
        hint: "Example: --env HF_HOME=/models/hf",
      });
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

export async function runDiscover(ctx: CommandContext): Promise<void> {
  const s = ctx.settings;
  const command = ctx.args.length > 0 ? ctx.args : ((s.command as string[] | undefined) ?? []);
  if (command.length === 0) {
    throw new UsageError("no model command given", {
      hint: "Put it after --: mlpack discover -- python app.py (or set discover.command in mlpack.json)",
    });
  }
  const env = parseEnvPairs((s.env as string[]) ?? []);
  const runner = await makeRunner(ctx);
  const lockPath = join(ctx.cwd, LOCK_FILE);
  const check = s.check === true;
  const committed = check ? await readLock(lockPath) : undefined;
  const result = await discover(
    {
      runner,
      command,
      projectDir: ctx.cwd,
      env,
      timeoutSec: s.timeout as number,
      include: ((s.include as string[]) ?? []).map((p) =>
        runner.kind === "local" ? resolve(ctx.cwd, p) : p,
      ),
      exclude: (s.exclude as string[]) ?? [],
      assetRoot: ctx.section("bundle").assetRoot as string,
      stageDir: join(ctx.cwd, ".mlpack", "assets"),
      ...(committed ? { accept: (found: Lock) => serializeLock(found) === serializeLock(committed) } : {}),
    },
    { emit: ctx.out.emit, signal: ctx.signal },
  );
  if (committed) {
    const drift = diffLocks(committed, result.lock);
    if (hasDrift(drift) || serializeLock(committed) !== serializeLock(result.lock)) {
      throw new CheckFailedError(`${LOCK_FILE} is out of date:\n${describeDrift(drift)}`, {
        code: "E_LOCK_DRIFT",
        hint: "Run `mlpack discover` without --check and commit the new lock.",
        details: drift,
      });
    }
  } else {
    await writeLock(lockPath, result.lock);
  }
  ctx.out.result("discover", { lockFile: check ? null : lockPath, checked: check, ...toJson(result) }, () =>
    render(result, check, ctx.out.verbose),
  );
}

async function makeRunner(ctx: CommandContext): Promise<Runner> {
  const s = ctx.settings;
  if (s.runner === "local") return new LocalRunner(ctx.env);
  const docker = await connectDocker({ env: ctx.env });
  return new DockerRunner({
    docker,
    image: s.image as string,
    workdir: s.workdir as string,
    network: s.network as string | undefined,
    keep: s.keep === true,
  });
}

function toJson(result: DiscoverResult) {
  return {
    lock: result.lock,
    assets: result.assets.map(({ stagedPath, ...a }) => ({ ...a, stagedPath })),
    unclassified: result.unclassified,
    skipped: result.lock.skipped,
    secrets: result.secrets,
    keptContainer: result.keptContainer,
  };
}

export function describeDrift(drift: LockDrift): string {
  const lines = [
    ...drift.added.map((id) => `  + ${id} (new asset)`),
    ...drift.removed.map((id) => `  - ${id} (no longer found)`),
    ...drift.changed.map((c) => `  ~ ${c.id} (${c.fields.join(", ")} changed)`),
  ];
  return lines.length > 0 ? lines.join("\n") : "  (lock metadata changed: command, image or skipped paths)";
}

function render(result: DiscoverResult, check: boolean, verbose: boolean): string {
  const root = result.lock.assetRoot;
  const rows = result.assets.map((a) => [
    a.id,
    a.library,
    a.source,
    `${root}/${a.target}`,
    String(a.files),
    formatBytes(a.bytes),
    Object.keys(a.env).join(" "),
  ]);
  const parts = [
    result.assets.length > 0
      ? formatTable(["ASSET", "LIBRARY", "SOURCE", "TARGET", "FILES", "SIZE", "ENV"], rows)
      : "No known ML caches were written by the command.",
  ];
  if (result.unclassified.length > 0) {
    parts.push(
      `\nUnclassified (not packaged; add with --include PATH):\n${result.unclassified.map((u) => `  ${u.path}  ${u.files} files, ${formatBytes(u.bytes)}`).join("\n")}`,
    );
  }
  if (result.lock.skipped.length > 0) {
    parts.push(`\nSkipped:\n${result.lock.skipped.map((s) => `  ${s.path}  (${s.reason})`).join("\n")}`);
  }
  const notes = result.assets.flatMap((a) => a.notes.map((n) => `  ${a.id}: ${n}`));
  if (notes.length > 0) {
    // Notes are advice for the runtime image; `mlpack dockerfile` repeats them as comments.
    parts.push(
      verbose
        ? `\nNotes:\n${notes.join("\n")}`
        : `\n${notes.length} notes on running these offline (see --verbose or the Dockerfile).`,
    );
  }
  parts.push(
    check ? `\n${LOCK_FILE} is up to date.` : `\nWrote ${LOCK_FILE}; staged trees in .mlpack/assets/.`,
  );
  if (result.keptContainer) parts.push(`Kept container ${result.keptContainer} (--keep): docker rm -f it when done.`);
  return parts.join("\n");
}
