import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { scratchDir } from "../state/work-dir.js";
import { execa } from "execa";
import { InterruptedError, ModelCommandError, UsageError } from "../errors.js";
import type { RunContext } from "../events.js";
import { isolatedEnv } from "./classify.js";
import { copyTree, listTree, measureTree } from "./copy-tree.js";
import { OutputTail } from "./output-tail.js";
import type { Runner, RunRequest, RunSession } from "./runner.js";

/**
 * Runs the model command as a host process with HOME, XDG_CACHE_HOME and every catalogued cache variable
 * pointed into a fresh temporary home, then treats everything in that home as "added". No Docker needed.
 */
export class LocalRunner implements Runner {
  readonly kind = "local" as const;
  readonly image = null;

  constructor(private readonly baseEnv: NodeJS.ProcessEnv = process.env) {}

  async run(request: RunRequest, ctx: RunContext): Promise<RunSession> {
    const [file, ...rest] = request.command;
    if (!file)
      throw new UsageError("no command given", {
        hint: "Put the model command after --: mlpack discover --runner local -- python app.py",
      });
    // Inside the project's .mlpack/, so staging can move files into .mlpack/assets instead of copying them
    // (same filesystem, and a big download does not fill a RAM-backed /tmp).
    const homes = scratchDir(request.projectDir);
    await mkdir(homes, { recursive: true });
    const home = await mkdtemp(join(homes, "home-"));
    const isolation = isolatedEnv(home);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.baseEnv))
      if (v !== undefined && !isolation.unset.includes(k)) env[k] = v;
    Object.assign(env, isolation.set, { HOME: home }, request.env);
    const tail = new OutputTail();
    ctx.emit({ type: "step", message: `running ${request.command.join(" ")} with HOME=${home}` });
    try {
      const child = execa(file, rest, {
        cwd: request.projectDir,
        env,
        extendEnv: false,
        reject: false,
        stdin: "ignore",
        timeout: request.timeoutSec * 1000,
        cancelSignal: ctx.signal,
        buffer: false,
      });
      child.stdout?.on("data", (b: Buffer) => {
        tail.push(b);
        ctx.emit({ type: "log", stream: "stdout", text: b.toString() });
      });
      child.stderr?.on("data", (b: Buffer) => {
        tail.push(b);
        ctx.emit({ type: "log", stream: "stderr", text: b.toString() });
      });
      const result = await child;
      if (result.isCanceled) throw new InterruptedError();
      if (result.failed) {
        const why = result.timedOut
          ? `timed out after ${request.timeoutSec}s`
          : result.exitCode === undefined
            ? `could not start: ${result.shortMessage}`
            : `exited with code ${result.exitCode}`;
        throw new ModelCommandError(
          `the model command ${why}`,
          { commandExitCode: result.exitCode ?? null, outputTail: tail.text() },
          {
            hint:
              result.exitCode === undefined
                ? "Check the command name and PATH."
                : "Fix the command so it runs cleanly; its last output is shown above.",
          },
        );
      }
    } catch (error) {
      await rm(home, { recursive: true, force: true });
      throw error;
    }
    return {
      env,
      home,
      ephemeralHome: true,
      changes: async () => (await listTree(home)).map((path) => ({ path, kind: "added" as const })),
      exportTree: (path, dest, filter, options) => copyTree(path, dest, filter, options),
      measure: (path) => measureTree(path),
      close: () => rm(home, { recursive: true, force: true }),
    };
  }
}
