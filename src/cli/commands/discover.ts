import { join } from "node:path";
import type { CatalogEntry } from "../../catalog/types.js";
import { catalogWith, isBuiltIn } from "../../catalog/user-entries.js";
import { type CodeScanner, DockerCodeScanner, HostCodeScanner, pythonOf } from "../../discover/code-scan.js";
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
import { includeArgument } from "../../discover/include-spec.js";
import type { Relocation } from "../../discover/relocate.js";
import { escapeName } from "../../util/names.js";
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
  const catalog = catalogWith(ctx.config.catalog);
  const { runner, scanner, projectRoot } = await makeRunner(ctx, command, catalog);
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
      include: (s.include as string[]) ?? [],
      exclude: (s.exclude as string[]) ?? [],
      writable: (s.writable as string[]) ?? [],
      catalog,
      projectRoot,
      scanner,
      ...(ctx.env.HOME ? { hostHome: ctx.env.HOME } : {}),
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

async function makeRunner(
  ctx: CommandContext,
  command: readonly string[],
  catalog: readonly CatalogEntry[],
): Promise<{ runner: Runner; scanner: CodeScanner; projectRoot: string }> {
  const s = ctx.settings;
  if (s.runner === "local") {
    return {
      // A user entry's variable inherited from the shell would send the model to the user's real cache.
      runner: new LocalRunner(withoutVariables(ctx.env, catalogVariables(catalog))),
      scanner: new HostCodeScanner({ python: pythonOf(command), cwd: ctx.cwd }),
      projectRoot: ctx.cwd,
    };
  }
  const docker = await connectDocker({ env: ctx.env });
  const image = s.image as string;
  const workdir = s.workdir as string;
  return {
    runner: new DockerRunner({ docker, image, workdir, network: s.network as string | undefined, keep: s.keep === true }),
    scanner: new DockerCodeScanner({ docker, image, workdir, projectDir: ctx.cwd, python: pythonOf(command) }),
    projectRoot: workdir,
  };
}

function catalogVariables(catalog: readonly CatalogEntry[]): Set<string> {
  const names = new Set<string>();
  for (const e of catalog) {
    if (isBuiltIn(e.id)) continue;
    for (const l of e.locations) for (const c of l.candidates) if (c.kind === "env") names.add(c.name);
  }
  return names;
}

function withoutVariables(env: NodeJS.ProcessEnv, names: ReadonlySet<string>): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !names.has(k)));
}

function toJson(result: DiscoverResult) {
  return {
    lock: result.lock,
    assets: result.assets.map(({ stagedPath, ...a }) => ({ ...a, stagedPath })),
    unclassified: result.unclassified,
    skipped: result.lock.skipped,
    secrets: result.secrets,
    keptContainer: result.keptContainer,
    ...(result.scan ? { scan: result.scan } : {}),
  };
}

/** Files this size and up are worded as a download cache; smaller ones as possible settings or state. */
const LIKELY_CACHE_BYTES = 1024 * 1024;

function renderUnknown(unknown: DiscoverResult["unclassified"]): string {
  const rows = unknown.map((u) => [
    escapeName(u.path),
    `${u.files} ${u.files === 1 ? "file" : "files"}`,
    formatBytes(u.bytes),
    u.kind === "file" ? "a file" : u.bytes >= LIKELY_CACHE_BYTES ? "likely a download cache" : "small: settings or state?",
    u.include === null ? "(files are not packaged on their own)" : escapeName(includeArgument(u.include)),
    u.relocation.via === "code" || u.relocation.via === "xdg" ? `(${describeRelocation(u.relocation)})` : "",
  ]);
  return [
    "New folders no library claims (not packaged; add the ones the code needs offline with the argument shown):",
    formatTable(["PATH", "FILES", "SIZE", "", "ADD WITH", ""], rows)
      .split("\n")
      .slice(1)
      .map((l) => `  ${l}`)
      .join("\n"),
    "  A library you use often can be taught once in mlpack.json's catalog (see `mlpack catalog --help`).",
  ].join("\n");
}

function describeRelocation(r: Relocation): string {
  switch (r.via) {
    case "flag":
      return `${r.variable} (from --include)`;
    case "code":
      return r.evidence
        ? `${r.variable}, read in ${escapeName(r.evidence.file)}:${r.evidence.line}`
        : `${r.variable}`;
    case "xdg":
      return `${r.variable}, the platformdirs rule`;
    case "home":
      return "no variable moves it: placed at the same path under HOME at start";
    case "none":
      return "no variable known: read it from its path under the asset root";
  }
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
  const relocated = result.assets.flatMap((a) => (a.relocation ? [`  ${a.id}: ${describeRelocation(a.relocation)}`] : []));
  if (relocated.length > 0) parts.push(`\nIncluded folders:\n${relocated.join("\n")}`);
  if (result.unclassified.length > 0) parts.push(`\n${renderUnknown(result.unclassified)}`);
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
