import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

/** The built CLI entry (`npm test` runs `npm run build` first). */
export const CLI_BIN = fileURLToPath(new URL("../../bin/mlpack", import.meta.url));
const CLI_MAIN = fileURLToPath(new URL("../../dist/app/main.js", import.meta.url));

export interface CliOptions {
  cwd?: string;
  /** Merged over the inherited environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Written to stdin; without it stdin is /dev/null. */
  input?: string;
  /** Kills the CLI and rejects after this long (default 60 s). */
  timeoutMs?: number;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Spawns `node bin/mlpack ...args` as a user would, with pipes (never a TTY), `NO_COLOR=1` and `CI=true`
 * unless `opts.env` says otherwise. Resolves with the exit code and full output whatever the exit code;
 * rejects only when the CLI could not run, was killed, or timed out.
 */
export async function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  if (!existsSync(CLI_MAIN)) throw new Error(`runCli: ${CLI_MAIN} is missing; run \`npm run build\` first`);
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", CI: "true" };
  delete env.FORCE_COLOR;
  for (const [key, value] of Object.entries(opts.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const result = await execa(process.execPath, [CLI_BIN, ...args], {
    cwd: opts.cwd ?? process.cwd(),
    env,
    extendEnv: false,
    ...(opts.input === undefined ? { stdin: "ignore" as const } : { input: opts.input }),
    stdout: "pipe",
    stderr: "pipe",
    stripFinalNewline: false,
    reject: false,
    timeout: opts.timeoutMs ?? 60_000,
  });
  if (result.exitCode === undefined) {
    const why = result.timedOut ? "timed out" : `was killed (${result.signal ?? "no signal"})`;
    throw new Error(
      `mlpack ${args.join(" ")} ${why}: ${result.message}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
    );
  }
  return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}
