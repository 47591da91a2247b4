import { existsSync, readFileSync } from "node:fs";
import { rmdir, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { CommanderError } from "commander";
import { configPath, loadConfigFile, resolveSection } from "../config/resolve.js";
import type { SectionName } from "../config/settings.js";
import { ConfigError, InterruptedError, MlpackError, UsageError } from "../errors.js";
import { acquireProjectLock, type ProjectLock } from "../state/project-lock.js";
import { assetsDir, removeLeftovers, scratchDir, workDir } from "../state/work-dir.js";
import { handleError } from "./handle-error.js";
import { filterNodeWarnings } from "./node-warnings.js";
import { Output } from "./output.js";
import { buildProgram, type ParsedInvocation, type TaggedCommanderError, usageHint } from "./program.js";

export interface MainIo {
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  cwd?: string;
  /** Cancelled on Ctrl-C; main installs the SIGINT handler when omitted. */
  signal?: AbortSignal;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/**
 * `mlpack --help | head -3`, `mlpack catalog | grep -m1 nltk`: the reader goes away and the next write fails
 * with EPIPE, an 'error' event nobody handles — Node's stack trace instead of the output the user asked
 * for. Like a tool killed by SIGPIPE, stop there, with the exit code the command has so far. Installed only
 * on the real process streams (in-process callers pass their own).
 */
function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  if (stream.listenerCount("error") > 0) return;
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
  });
}

/** Runs the CLI and returns the exit code; never calls process.exit so it is testable in-process. */
export async function main(argv: string[], io: MainIo = {}): Promise<number> {
  filterNodeWarnings();
  const env = io.env ?? process.env;
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  if (!io.stdout) endQuietlyOnClosedPipe(process.stdout);
  if (!io.stderr) endQuietlyOnClosedPipe(process.stderr);
  const version = packageVersion();
  const beforeDashes = argv.slice(2, argv.includes("--") ? argv.indexOf("--") : undefined);
  const wantsJson = beforeDashes.includes("--json") || /^(1|true|yes|on)$/i.test(env.MLPACK_JSON ?? "");
  let out = new Output({
    json: wantsJson,
    quiet: false,
    verbose: beforeDashes.includes("--verbose"),
    color: true,
    progress: false,
    env,
    stdout,
    stderr,
  });

  let parsed: ParsedInvocation | undefined;
  const program = buildProgram(
    version,
    (p) => {
      parsed = p;
    },
    {
      writeOut: (text) => stdout.write(text),
      // Help printed because of a usage error goes to stderr; under --json stdout carries the error document.
      writeErr: (text) => {
        if (!wantsJson) stderr.write(text);
      },
    },
  );
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      const usage = commanderUsage(program, error, argv);
      return usage ? handleError(usage, out) : 0;
    }
    return handleError(error, out);
  }
  if (!parsed) return 0;

  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  if (!io.signal) process.on("SIGINT", onSigint);
  else io.signal.addEventListener("abort", () => controller.abort(), { once: true });

  let lock: ProjectLock | undefined;
  let createdWorkDir = false;
  let failed = true;
  let projectDir: string | undefined;
  try {
    // -C and --config decide where mlpack.json is, so they come from flags or MLPACK_* only.
    const cwdFlag = (parsed.globalFlags.cwd as string | undefined) ?? env.MLPACK_CWD;
    const cwd = resolve(io.cwd ?? process.cwd(), cwdFlag || ".");
    if (cwdFlag) {
      const label = parsed.globalFlags.cwd === undefined ? `MLPACK_CWD=${cwdFlag}` : `-C ${cwdFlag}`;
      await checkProjectDir(cwd, label, cwdFlag);
    }
    const cfg = configPath(
      cwd,
      (parsed.globalFlags.config as string | undefined) ?? (env.MLPACK_CONFIG || undefined),
    );
    const command = parsed.command.name;
    const file = await loadConfigFile(cfg.path, cfg.explicit).catch((error: unknown) => {
      // init is how a broken mlpack.json gets replaced (loadConfigFile's own hint says so).
      if (command === "init" && error instanceof ConfigError) return {};
      throw error;
    });
    const global = resolveSection({ section: "global", file, env, flags: parsed.globalFlags });
    out = new Output({
      json: global.json === true,
      quiet: global.quiet === true,
      verbose: global.verbose === true,
      color: global.color !== false,
      progress: global.progress !== false,
      env,
      stdout,
      stderr,
    });
    const settings = resolveSection({ section: parsed.command.name, file, env, flags: parsed.flags });
    if (parsed.command.lock) {
      createdWorkDir = !existsSync(workDir(cwd));
      lock = await acquireProjectLock(cwd, {
        command: `mlpack ${command}`,
        create: parsed.command.lock === "create",
      });
      if (lock) await removeLeftovers(cwd);
    }
    const section = (name: SectionName) => resolveSection({ section: name, file, env, flags: {} });
    projectDir = cwd;
    await parsed.command.run({
      cwd,
      settings,
      global,
      args: parsed.args,
      out,
      signal: controller.signal,
      env,
      version,
      section,
      config: file,
    });
    out.close();
    failed = false;
    return 0;
  } catch (error) {
    // After Ctrl-C, whatever the cancelled operation threw is a consequence of the interrupt.
    const interrupted =
      controller.signal.aborted && !(error instanceof MlpackError && error.exitCode === 130);
    return handleError(
      interrupted ? new InterruptedError("Interrupted; cleaned up", { cause: error }) : error,
      out,
    );
  } finally {
    await lock?.release();
    // A command that failed in a folder without .mlpack/ (a typo in -C, no lock yet) leaves none behind.
    if (failed && createdWorkDir && projectDir) await removeEmptyWorkDir(projectDir);
    process.off("SIGINT", onSigint);
  }
}

/** Commander's verdicts as mlpack errors: help and version are exit 0, everything else a usage error. */
function commanderUsage(
  program: ReturnType<typeof buildProgram>,
  error: CommanderError,
  argv: readonly string[],
): UsageError | undefined {
  if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return undefined;
  // `mlpack help [command]` exits 0; bare `mlpack` (help shown because a command is missing) exits 1.
  if (error.code === "commander.help" && error.exitCode === 0) return undefined;
  if (error.code === "commander.help") {
    // `mlpack help bogus` lands here too: commander shows the program's help for an unknown name.
    const words = argv.slice(2).filter((w) => !w.startsWith("-"));
    if (words[0] === "help" && words[1] !== undefined) {
      return new UsageError(`unknown command '${words[1]}'`, { code: "E_USAGE", hint: "Run `mlpack --help` for usage." });
    }
    return new UsageError("no command given", {
      code: "E_USAGE",
      hint: "Run `mlpack --help` for the commands, e.g. `mlpack discover --runner local -- python app.py`.",
    });
  }
  return new UsageError(error.message.replace(/^error: /, ""), {
    code: "E_USAGE",
    hint: usageHint(program, error as TaggedCommanderError, argv),
  });
}

/** `-C DIR` must name an existing folder: a typo must not make mlpack create one. */
async function checkProjectDir(dir: string, label: string, typed: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  const resolved = dir === typed ? "" : ` (${dir})`;
  if (!info) {
    throw new UsageError(`${label}: no such folder${resolved}`, {
      code: "E_PATH_NOT_FOUND",
      hint: "-C names the project folder (the one with mlpack.json); check the path.",
    });
  }
  if (!info.isDirectory()) {
    throw new UsageError(`${label}: not a folder${resolved}`, {
      code: "E_NOT_DIRECTORY",
      hint: "-C names the project folder (the one with mlpack.json), not a file in it.",
    });
  }
}

/** rmdir only: removes .mlpack/ and its standard folders when they are empty, never anything in them. */
async function removeEmptyWorkDir(projectDir: string): Promise<void> {
  for (const dir of [scratchDir(projectDir), assetsDir(projectDir), workDir(projectDir)]) {
    await rmdir(dir).catch(() => undefined);
  }
}
