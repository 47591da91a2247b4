import { dirname } from "node:path";
import { MlpackError, NoSpaceError, UsageError } from "../errors.js";
import { formatBytes } from "./format-bytes.js";

/**
 * Turns a filesystem errno into an error that names the user's path and says what to do, instead of a raw
 * `ENOSPC: no space left on device, write` (or worse, "This is a bug in mlpack"). Anything that is not a
 * known user-caused condition is returned unchanged, so real bugs still look like bugs.
 */
export interface FsContext {
  /** The path the user knows: their file, the folder mlpack writes into (never our temp file's name). */
  path: string;
  /** What mlpack was doing, as a phrase: "writing the Dockerfile", "staging asset nltk". */
  action: string;
  /** Bytes the operation needed in total, when known (reported with E_NO_SPACE). */
  neededBytes?: number;
  /** The path is a folder (ENOSPC names it as is) rather than a file (ENOSPC names its folder). */
  isDir?: boolean;
}

const errnoOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string"
    ? (error as { code: string }).code
    : undefined;

/** True for "the disk is full" in any of its spellings. */
export function isNoSpace(error: unknown): boolean {
  const code = errnoOf(error);
  return code === "ENOSPC" || code === "EDQUOT";
}

/** The mapped error for a filesystem failure, or the error itself when it is not one we can explain. */
export function fsError(error: unknown, ctx: FsContext): unknown {
  if (error instanceof MlpackError) return error;
  const code = errnoOf(error);
  const where = ctx.path;
  switch (code) {
    case "ENOSPC":
    case "EDQUOT": {
      const folder = ctx.isDir ? where : dirname(where);
      const needed = ctx.neededBytes === undefined ? "" : ` (${formatBytes(ctx.neededBytes)} needed in all)`;
      return new NoSpaceError(`no space left in ${folder} while ${ctx.action}${needed}`, {
        path: folder,
        ...(ctx.neededBytes === undefined ? {} : { neededBytes: ctx.neededBytes }),
        cause: error,
        hint: "Free space there (or point mlpack at a bigger disk) and run the command again; nothing half-written was kept.",
      });
    }
    case "EACCES":
    case "EPERM":
      return new UsageError(`permission denied: ${where} (${ctx.action})`, {
        code: "E_PERMISSION",
        cause: error,
        hint: `Check the permissions of ${where} and its folder, or choose another path.`,
      });
    case "EROFS":
      return new UsageError(`${where} is on a read-only filesystem (${ctx.action})`, {
        code: "E_READ_ONLY",
        cause: error,
        hint: "Choose a path on a writable filesystem.",
      });
    case "EISDIR":
      return new UsageError(`${where} is a directory, not a file (${ctx.action})`, {
        code: "E_IS_DIRECTORY",
        cause: error,
        hint: "Give a file name, e.g. DIR/Dockerfile.",
      });
    case "ENOTDIR":
      return new UsageError(`a part of ${where} is a file, not a folder (${ctx.action})`, {
        code: "E_NOT_DIRECTORY",
        cause: error,
        hint: "Check the path for a typo.",
      });
    case "ENOENT":
      return new UsageError(`${where} does not exist (${ctx.action})`, {
        code: "E_PATH_NOT_FOUND",
        cause: error,
        hint: "Check the path for a typo; mlpack does not create missing parent folders of a path you give.",
      });
    default:
      return error;
  }
}

/** Runs `fn`, rethrowing filesystem failures as `fsError` describes them. */
export async function withFsErrors<T>(ctx: FsContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw fsError(error, ctx);
  }
}
