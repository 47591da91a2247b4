/**
 * The closed set of errors mlpack raises. Every error carries a stable `code` (E_UPPER_SNAKE),
 * the process exit code the CLI maps it to (DESIGN.md §7), and a `hint` telling the user what to do.
 * Core code throws these; only the CLI's top-level handler turns them into output and exit codes.
 */
import { ERROR_CODES, type ErrorCodeSpec } from "./error-codes.js";

export interface MlpackErrorOptions {
  code?: string;
  hint?: string;
  cause?: unknown;
  /** Structured data for the JSON error document (e.g. a drift report). */
  details?: unknown;
}

export class MlpackError extends Error {
  /** Exit code for codes the registry (error-codes.ts) does not list; each class sets its own. */
  protected static readonly defaultExitCode: number = 1;
  readonly code: string;
  readonly hint: string | undefined;
  readonly details: unknown;

  constructor(message: string, options: MlpackErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? "E_INTERNAL";
    this.hint = options.hint;
    this.details = options.details;
  }

  /** Exit code from DESIGN.md §7: the registry's for this code, so docs/cli.md and the process agree. */
  get exitCode(): number {
    const spec = (ERROR_CODES as Record<string, ErrorCodeSpec>)[this.code];
    return spec?.exitCode ?? (this.constructor as typeof MlpackError).defaultExitCode;
  }
}

/** A check the user asked for failed: lock drift, verify. Exit 1. Each check names its own code. */
export class CheckFailedError extends MlpackError {
  protected static override readonly defaultExitCode: number = 1;
  constructor(message: string, options: MlpackErrorOptions & { code: string }) {
    super(message, options);
  }
}

/** `details` for the JSON error document: a class's structured fields plus whatever the thrower added. */
function mergeDetails(fields: Record<string, unknown>, extra: unknown): Record<string, unknown> {
  return typeof extra === "object" && extra !== null && !Array.isArray(extra)
    ? { ...fields, ...(extra as Record<string, unknown>) }
    : extra === undefined
      ? fields
      : { ...fields, extra };
}

/** Bad flags, bad mlpack.json, missing inputs. Exit 2. */
export class UsageError extends MlpackError {
  protected static override readonly defaultExitCode: number = 2;
  constructor(message: string, options: MlpackErrorOptions = {}) {
    super(message, { code: "E_USAGE", ...options });
  }
}

/** A config file that does not validate. Exit 2. */
export class ConfigError extends UsageError {
  constructor(message: string, options: MlpackErrorOptions = {}) {
    super(message, { code: "E_CONFIG", ...options });
  }
}

/** The Docker engine cannot be reached. Exit 3. */
export class DockerUnavailableError extends MlpackError {
  protected static override readonly defaultExitCode: number = 3;
  constructor(message: string, options: MlpackErrorOptions = {}) {
    super(message, {
      code: "E_DOCKER_UNAVAILABLE",
      hint: "Start the Docker engine, check DOCKER_HOST and the socket's permissions, or use --runner local.",
      ...options,
    });
  }
}

/** The user's model command exited non-zero. Exit 4. */
export class ModelCommandError extends MlpackError {
  protected static override readonly defaultExitCode: number = 4;
  readonly commandExitCode: number | null;
  readonly outputTail: string;
  constructor(
    message: string,
    details: { commandExitCode: number | null; outputTail: string },
    options: MlpackErrorOptions = {},
  ) {
    // --json carries what the human output shows: the command's exit code and the tail of its output.
    super(message, {
      code: "E_MODEL_COMMAND",
      ...options,
      details: mergeDetails({ ...details }, options.details),
    });
    this.commandExitCode = details.commandExitCode;
    this.outputTail = details.outputTail;
  }
}

/** The registry or its authentication failed. Exit 5. */
export class RegistryError extends MlpackError {
  protected static override readonly defaultExitCode: number = 5;
  /** The registry's own error code (e.g. BLOB_UNKNOWN, DENIED), when it sent one. */
  readonly registryCode: string | undefined;
  readonly status: number | undefined;
  /** Whether trying again can help (408, 429, 5xx, connection resets). */
  readonly retryable: boolean;
  constructor(
    message: string,
    options: MlpackErrorOptions & { registryCode?: string; status?: number; retryable?: boolean } = {},
  ) {
    super(message, {
      code: "E_REGISTRY",
      ...options,
      details: mergeDetails(
        {
          ...(options.registryCode === undefined ? {} : { registryCode: options.registryCode }),
          ...(options.status === undefined ? {} : { status: options.status }),
          retryable: options.retryable ?? false,
        },
        options.details,
      ),
    });
    this.registryCode = options.registryCode;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
  }
}

/** The user interrupted (SIGINT). Exit 130. */
export class InterruptedError extends MlpackError {
  protected static override readonly defaultExitCode: number = 130;
  constructor(message = "Interrupted", options: MlpackErrorOptions = {}) {
    super(message, { code: "E_INTERRUPTED", ...options });
  }
}

/** Throws InterruptedError when the signal has fired; call between steps of long work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InterruptedError();
}

/** A disk filled up (ENOSPC/EDQUOT). Exit 1; names the folder and, where known, how much was needed. */
export class NoSpaceError extends MlpackError {
  readonly path: string;
  readonly neededBytes: number | undefined;
  constructor(message: string, options: MlpackErrorOptions & { path: string; neededBytes?: number }) {
    super(message, {
      code: "E_NO_SPACE",
      ...options,
      details: mergeDetails(
        { path: options.path, ...(options.neededBytes === undefined ? {} : { neededBytes: options.neededBytes }) },
        options.details,
      ),
    });
    this.path = options.path;
    this.neededBytes = options.neededBytes;
  }
}

/** Another mlpack process holds the project lock. Exit 1. */
export class BusyError extends MlpackError {
  constructor(message: string, options: MlpackErrorOptions = {}) {
    super(message, { code: "E_BUSY", ...options });
  }
}
