import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, realpath, rm } from "node:fs/promises";
import { join } from "node:path";
import { setLongTimeout, waitAtMost } from "../docker/wait.js";
import { InterruptedError, UsageError } from "../errors.js";
import type { RunContext } from "../events.js";
import { scratchDir, workDir } from "../state/work-dir.js";
import { escapeName } from "../util/names.js";
import { isolatedEnv } from "./classify.js";
import { isInsideOrEqual } from "./classify-paths.js";
import { copyTree, listTree, measureTree } from "./copy-tree.js";
import { OutputTail } from "./output-tail.js";
import { modelCommandFailed, type Runner, type RunRequest, type RunSession } from "./runner.js";

/** After the final SIGKILL, how long to wait for the group's processes to be gone (zombies of a parent that never
 * reaps them count as alive to kill(2), hence the cap). */
const GROUP_GONE_MS = 500;
/** After SIGTERM, how long the command's process group gets before SIGKILL. */
const KILL_GRACE_MS = 1000;
/** After the command exits, how long its output may keep draining (a background child can hold the pipes). */
const DRAIN_MS = 500;

/**
 * Runs the model command as a host process with HOME, XDG_CACHE_HOME and every catalogued cache variable
 * pointed into a fresh temporary home, then treats everything in that home as "added". No Docker needed.
 *
 * The command runs in its own process group, and the whole group is stopped when the command exits, times
 * out or is interrupted: a child it left in the background (holding stdout, still writing into the home)
 * can neither keep discover waiting nor change the tree while it is staged.
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
    ctx.emit({ type: "step", message: `running ${request.command.join(" ")} with HOME=${home}` });
    try {
      await runInGroup(file, rest, { cwd: request.projectDir, env, timeoutSec: request.timeoutSec }, ctx);
    } catch (error) {
      await rm(home, { recursive: true, force: true });
      throw error;
    }
    const work = await realpath(workDir(request.projectDir));
    return {
      env,
      home,
      ephemeralHome: true,
      copiedIn: [],
      keptContainer: null,
      changes: async () => (await listTree(home)).map((path) => ({ path, kind: "added" as const })),
      exportTree: async (path, dest, filter, options) => {
        // Only what the command wrote into our throwaway HOME is ours to move; anything else (an --include of
        // the user's own folder) is copied, and never from inside or around .mlpack/.
        const follow = {
          ...(options?.signal ? { signal: options.signal } : {}),
          ...(options?.onBytes ? { onBytes: options.onBytes } : {}),
        };
        if (isInsideOrEqual(path, home))
          return copyTree(path, dest, filter, { move: options?.move === true, origin: "the run's HOME", ...follow });
        await refuseWorkDirOverlap(path, work);
        return copyTree(path, dest, filter, { avoid: [work], origin: `--include ${escapeName(path)}`, ...follow });
      },
      measure: (path) => measureTree(path),
      close: () => rm(home, { recursive: true, force: true }),
    };
  }
}

/** An include that is, holds or lies inside `.mlpack/` would stage mlpack's own work folder (and recurse). */
async function refuseWorkDirOverlap(path: string, work: string): Promise<void> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return; // Missing: copyTree reports it with the path the user gave.
  }
  if (isInsideOrEqual(real, work) || isInsideOrEqual(work, real)) {
    throw new UsageError(`--include ${escapeName(path)} ${isInsideOrEqual(real, work) ? "lies inside" : "contains"} the project's work folder ${work}`, {
      code: "E_INCLUDE_WORK_DIR",
      hint: "Include the folder that holds the asset itself (e.g. --include models), not the project root or .mlpack/.",
    });
  }
}

interface GroupOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutSec: number;
}

/**
 * Runs the command as the leader of a new process group and waits for it; on timeout or abort the group gets
 * SIGTERM, then SIGKILL after KILL_GRACE_MS. Throws ModelCommandError or InterruptedError.
 */
async function runInGroup(file: string, args: string[], opts: GroupOptions, ctx: RunContext): Promise<void> {
  const tail = new OutputTail();
  const child = spawn(file, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const forward = (stream: "stdout" | "stderr") => (b: Buffer) => {
    tail.push(b);
    ctx.emit({ type: "log", stream, text: b.toString() });
  };
  child.stdout?.on("data", forward("stdout"));
  child.stderr?.on("data", forward("stderr"));
  const output = Promise.all([closed(child.stdout), closed(child.stderr)]);

  let stopping: "timeout" | "abort" | undefined;
  let forceTimer: NodeJS.Timeout | undefined;
  const stop = (why: "timeout" | "abort") => {
    if (stopping) return;
    stopping = why;
    killGroup(child, "SIGTERM");
    forceTimer = setTimeout(() => killGroup(child, "SIGKILL"), KILL_GRACE_MS);
  };
  const cancelTimeout = setLongTimeout(() => stop("timeout"), opts.timeoutSec * 1000);
  const onAbort = () => stop("abort");
  if (ctx.signal?.aborted) onAbort();
  ctx.signal?.addEventListener("abort", onAbort, { once: true });

  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>(
    (resolve) => {
      child.once("error", (error) => resolve({ code: null, signal: null, error }));
      child.once("exit", (code, signal) => resolve({ code, signal }));
    },
  );
  cancelTimeout();
  ctx.signal?.removeEventListener("abort", onAbort);
  // Whatever the command left running in its group goes now, so the pipes close and the home stops changing.
  killGroup(child, stopping ? "SIGKILL" : "SIGTERM");
  await waitAtMost(output, DRAIN_MS);
  killGroup(child, "SIGKILL");
  clearTimeout(forceTimer);
  // SIGKILL is delivered asynchronously: wait (briefly) until the group is gone, so nothing writes into the home
  // while it is staged.
  await groupGone(child, GROUP_GONE_MS);
  child.stdout?.destroy();
  child.stderr?.destroy();

  if (stopping === "abort") throw new InterruptedError();
  if (exit.error) {
    throw modelCommandFailed(`could not start: ${exit.error.message}`, null, tail, {
      hint: `Check the command name (${escapeName(file)}) and PATH.`,
    });
  }
  if (stopping === "timeout") {
    throw modelCommandFailed(`timed out after ${opts.timeoutSec}s`, null, tail, {
      hint: "Raise --timeout, or check whether the command waits for input or never exits.",
    });
  }
  if (exit.code !== 0) {
    const why = exit.code === null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    throw modelCommandFailed(why, exit.code, tail);
  }
}

/** Polls until no process of the child's group is left (kill(-pgid, 0) fails with ESRCH), at most `ms`. */
async function groupGone(child: ChildProcess, ms: number): Promise<void> {
  if (child.pid === undefined) return;
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      process.kill(-child.pid, 0);
    } catch {
      return;
    }
    if (Date.now() >= deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

function closed(stream: NodeJS.ReadableStream | null): Promise<void> {
  if (!stream) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once("close", resolve);
    stream.once("end", resolve);
  });
}
