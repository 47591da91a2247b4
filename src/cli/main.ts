import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { CommanderError } from "commander";
import { configPath, loadConfigFile, resolveSection } from "../config/resolve.js";
import type { SectionName } from "../config/settings.js";
import { ConfigError, InterruptedError, MlpackError, UsageError } from "../errors.js";
import { acquireProjectLock, type ProjectLock } from "../state/project-lock.js";
import { removeLeftovers } from "../state/work-dir.js";
import { handleError } from "./handle-error.js";
import { Output } from "./output.js";
import { buildProgram, type ParsedInvocation } from "./program.js";

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

/** Runs the CLI and returns the exit code; never calls process.exit so it is testable in-process. */
export async function main(argv: string[], io: MainIo = {}): Promise<number> {
  const env = io.env ?? process.env;
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
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
  const program = buildProgram(version, (p) => {
    parsed = p;
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version" ||
        error.code === "commander.help"
      )
        return 0;
      return handleError(
        new UsageError(error.message.replace(/^error: /, ""), {
          code: "E_USAGE",
          hint: "Run `mlpack --help` for usage.",
        }),
        out,
      );
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
  try {
    // -C and --config decide where mlpack.json is, so they come from flags or MLPACK_* only.
    const cwdFlag = (parsed.globalFlags.cwd as string | undefined) ?? env.MLPACK_CWD;
    const cwd = resolve(io.cwd ?? process.cwd(), cwdFlag || ".");
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
      lock = await acquireProjectLock(cwd, {
        command: `mlpack ${command}`,
        create: parsed.command.lock === "create",
      });
      if (lock) await removeLeftovers(cwd);
    }
    const section = (name: SectionName) => resolveSection({ section: name, file, env, flags: {} });
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
    process.off("SIGINT", onSigint);
  }
}
