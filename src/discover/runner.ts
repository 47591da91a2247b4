import { ModelCommandError, type MlpackErrorOptions } from "../errors.js";
import type { RunContext } from "../events.js";
import type { TreeSummary } from "../lock/tree-digest.js";
import type { ChangedPath } from "./classify.js";
import type { OutputTail } from "./output-tail.js";

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
  /** The lock digest of what was written, when the export computed it on the way (no second read needed). */
  tree?: TreeSummary;
}

/** Decides, per relative POSIX path, whether to stage it: a reason to skip, or undefined to keep. */
export type ExportFilter = (relPath: string) => string | undefined;

export interface ExportOptions {
  /**
   * The caller will not read `path` again, so a runner whose files are on this host may move them instead of
   * copying — only files the run itself created in mlpack's throwaway HOME; a container export always writes.
   */
  move?: boolean;
  /** Called with each batch of body bytes as it is staged (a delta, for byte progress). */
  onBytes?: (bytes: number) => void;
  signal?: AbortSignal;
}

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
  /** Paths mlpack itself put into the run's filesystem (the project copied into the workdir), never staged. */
  copiedIn: readonly string[];
  /** The container kept for inspection (`--keep`), or null. */
  keptContainer: string | null;
  changes(): Promise<ChangedPath[]>;
  /** Copies the tree at `path` (absolute, in the run's filesystem) into `dest`, keeping symlinks. */
  exportTree(path: string, dest: string, filter: ExportFilter, options?: ExportOptions): Promise<ExportStats>;
  /** Bytes the command wrote in all (an upper bound of what staging writes), for progress; undefined if unknown. */
  writtenBytes?(): Promise<number | undefined>;
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

/**
 * The model command failed (exit 4). Its output tail goes into the error's `details`, so `--json` carries it;
 * in text mode the output itself was streamed to stderr as it ran.
 */
export function modelCommandFailed(
  why: string,
  commandExitCode: number | null,
  tail: OutputTail,
  options: MlpackErrorOptions = {},
): ModelCommandError {
  const outputTail = tail.text();
  return new ModelCommandError(
    `the model command ${why}`,
    { commandExitCode, outputTail },
    {
      hint: "Fix the command so it runs cleanly: its output ends with the lines above (under --json: error.details.outputTail).",
      ...options,
      details: { commandExitCode, outputTail, ...(options.details as object | undefined) },
    },
  );
}
