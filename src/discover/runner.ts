import type { RunContext } from "../events.js";
import type { ChangedPath } from "./classify.js";

/** What a runner needs to run the user's model command once. */
export interface RunRequest {
  command: readonly string[];
  /** The project directory, copied into the container (docker) or used as cwd (local). */
  projectDir: string;
  /** Extra environment (--env K=V). */
  env: Readonly<Record<string, string>>;
  timeoutSec: number;
}

export interface ExportStats {
  files: number;
  bytes: number;
  /**
   * Entries not staged, with why. `unsafe` marks what the tree itself made impossible to stage safely
   * (escaping symlinks, devices, odd archive entries); filter hits (noise, secrets) are expected and not unsafe.
   */
  skipped: { path: string; reason: string; unsafe: boolean }[];
}

/** Decides, per relative POSIX path, whether to stage it: a reason to skip, or undefined to keep. */
export type ExportFilter = (relPath: string) => string | undefined;

/**
 * A finished run whose filesystem can still be read: the environment the command saw, what it changed, and a way
 * to copy trees out. `close()` removes the container or temp home and must always be called.
 */
export interface RunSession {
  /** The command's environment (image env + user env), including HOME. */
  env: Record<string, string>;
  home: string;
  /** The home is a fresh temp dir (local runner): paths under it are shown as `~/…` so the lock is stable. */
  ephemeralHome: boolean;
  changes(): Promise<ChangedPath[]>;
  /** Copies the tree at `path` (absolute, in the run's filesystem) into `dest`, keeping symlinks. */
  /**
   * `move`: the caller will not read `path` again, so a runner whose files are on this host may move them
   * instead of copying (the local runner does; a container export always writes).
   */
  exportTree(path: string, dest: string, filter: ExportFilter, options?: { move?: boolean }): Promise<ExportStats>;
  /** Total files and bytes under `path`, for reporting unclassified directories. */
  measure(path: string): Promise<{ files: number; bytes: number }>;
  close(): Promise<void>;
}

/** The container runtime seam: dockerode, a local process, or a fake in tests. */
export interface Runner {
  readonly kind: "docker" | "local";
  /** The image the command runs in (docker), or null. */
  readonly image: string | null;
  /** Runs the command to completion; throws ModelCommandError (after cleaning up) when it fails. */
  run(request: RunRequest, ctx: RunContext): Promise<RunSession>;
}
