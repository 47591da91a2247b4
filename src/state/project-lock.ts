import { randomBytes } from "node:crypto";
import { readFileSync, readlinkSync, unlinkSync } from "node:fs";
import { mkdir, readlink, stat, symlink, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { BusyError } from "../errors.js";
import { fsError } from "../util/fs-errors.js";

/**
 * One mutating mlpack command per project at a time: `.mlpack/lock` names the holder. The lock is a symlink
 * whose target is the holder's JSON: creating a symlink is atomic and fails when one exists, and its content
 * is there the moment it exists (a file would be empty until written). A lock whose holder died (kill -9,
 * a crash) is taken over: its pid is gone, or now belongs to a process that started later.
 */
export interface LockHolder {
  pid: number;
  host: string;
  /** "mlpack bundle" */
  command: string;
  /** ISO time the holder took the lock. */
  startedAt: string;
  /** The holder's start time in clock ticks since boot (/proc/<pid>/stat field 22), to see pid reuse. */
  start?: number;
  /** Random, so a holder only ever removes its own lock. */
  token: string;
}

export const LOCK_NAME = "lock";
const TAKEOVER_NAME = "lock.takeover";

export interface ProjectLock {
  readonly path: string;
  readonly holder: LockHolder;
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** Shown to a second process: "mlpack bundle". */
  command: string;
  /** Create `.mlpack/` when missing (default). Commands that only read a project pass false: no lock then. */
  create?: boolean;
}

/** The pid's start time in clock ticks, or undefined where /proc does not tell. */
export function processStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the holder is still running (on this host; another host's lock is trusted as live). */
export function holderAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  if (holder.start === undefined) return true;
  const now = processStart(holder.pid);
  return now === undefined || now === holder.start;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as LockHolder;
    return typeof value.pid === "number" && typeof value.token === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

async function readHolder(path: string): Promise<LockHolder | "none" | "garbled"> {
  try {
    return parseHolder(await readlink(path)) ?? "garbled";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return "none";
    // EINVAL: not a symlink (someone wrote a file there): not ours to interpret, treat like a dead holder.
    if (code === "EINVAL") return "garbled";
    throw error;
  }
}

function describe(holder: LockHolder): string {
  const where = holder.host === hostname() ? "" : ` on ${holder.host}`;
  return `\`${holder.command}\` (pid ${holder.pid}${where}, since ${holder.startedAt})`;
}

/**
 * Takes the project lock, or fails with E_BUSY naming the process that holds it. Returns undefined when
 * `create` is false and the project has no `.mlpack/` (nothing there to protect).
 */
export async function acquireProjectLock(
  projectDir: string,
  options: AcquireOptions,
): Promise<ProjectLock | undefined> {
  const dir = join(projectDir, ".mlpack");
  if (options.create === false) {
    const isDir = await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir) return undefined;
  } else {
    await mkdir(dir, { recursive: true }).catch((error: unknown) => {
      throw fsError(error, { path: dir, action: "creating the .mlpack work folder", isDir: true });
    });
  }
  const path = join(dir, LOCK_NAME);
  const start = processStart(process.pid);
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    command: options.command,
    startedAt: new Date().toISOString(),
    ...(start === undefined ? {} : { start }),
    token: randomBytes(8).toString("hex"),
  };
  const mine = JSON.stringify(holder);
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await symlink(mine, path);
      return lockHandle(path, holder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw fsError(error, { path: dir, action: "taking the project lock", isDir: true });
      }
    }
    const current = await readHolder(path);
    if (current === "none") continue;
    if (current !== "garbled" && holderAlive(current)) {
      throw new BusyError(`another mlpack command is working on ${projectDir}: ${describe(current)}`, {
        hint: `Wait for it to finish (or stop it) and run this again. A lock left by a process that died is taken over automatically; ${path} names the holder.`,
        details: { holder: { pid: current.pid, host: current.host, command: current.command, startedAt: current.startedAt } },
      });
    }
    if (await takeOver(dir, path, current, mine)) return lockHandle(path, holder);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new BusyError(`could not take the project lock ${path}: other mlpack processes keep racing for it`, {
    hint: "Run one mlpack command at a time in this project.",
  });
}

/**
 * Replaces a dead holder's lock. Only one process may take over at a time (the takeover guard), and it
 * replaces the lock only if it still holds the same dead holder, so two processes that both saw the dead
 * lock can never both end up holding it.
 */
async function takeOver(
  dir: string,
  path: string,
  dead: LockHolder | "garbled",
  mine: string,
): Promise<boolean> {
  const guard = join(dir, TAKEOVER_NAME);
  try {
    await symlink(mine, guard);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const other = await readHolder(guard);
    // A taker that died mid-takeover leaves its guard; clear it so the next attempt can proceed.
    if (other === "garbled" || (other !== "none" && !holderAlive(other))) await unlink(guard).catch(() => {});
    return false;
  }
  try {
    const again = await readHolder(path);
    const same =
      again === "garbled" ? dead === "garbled" : again !== "none" && dead !== "garbled" && again.token === dead.token;
    if (!same) return false;
    await unlink(path);
    try {
      await symlink(mine, path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    }
  } finally {
    await unlink(guard).catch(() => {});
  }
}

function lockHandle(path: string, holder: LockHolder): ProjectLock {
  let released = false;
  // kill -9 cannot be helped (the next run takes the lock over), but a plain exit still removes it.
  const onExit = () => {
    if (released) return;
    try {
      if (parseHolder(readlinkSync(path))?.token === holder.token) unlinkSync(path);
    } catch {
      // gone already
    }
  };
  process.once("exit", onExit);
  return {
    path,
    holder,
    release: async () => {
      if (released) return;
      released = true;
      process.off("exit", onExit);
      const current = await readHolder(path).catch(() => "none" as const);
      if (current !== "none" && current !== "garbled" && current.token === holder.token) {
        await unlink(path).catch(() => {});
      }
    },
  };
}
