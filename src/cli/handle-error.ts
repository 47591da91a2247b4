import { MlpackError } from "../errors.js";
import type { Output } from "./output.js";

/**
 * The single top-level handler: maps any thrown value to an exit code and prints it once, as text on stderr
 * or as a JSON document on stdout under --json. Stacks only with --verbose.
 */
export function handleError(error: unknown, out: Output): number {
  const known = error instanceof MlpackError;
  const code = known ? error.code : "E_UNEXPECTED";
  const message = error instanceof Error ? error.message : String(error);
  const hint = known
    ? error.hint
    : "This is a bug in mlpack; rerun with --verbose and report the stack trace.";
  const exitCode = known ? error.exitCode : 1;
  if (out.json) {
    const details = known && error.details !== undefined ? { details: error.details } : {};
    out.errorJson({ ok: false, error: { code, message, ...(hint ? { hint } : {}), ...details } });
    return exitCode;
  }
  const lines: string[] = [];
  // Under --quiet the model command's output was not streamed, so the tail the hint points at comes first.
  const tail = known ? outputTail(error.details) : undefined;
  if (out.quiet && tail) lines.push("--- output of the command (last lines):", tail.trimEnd());
  lines.push(`${out.chalk.red("error:")} ${message}`);
  if (hint) lines.push(`${out.chalk.dim("hint:")} ${hint}`);
  if (out.verbose && error instanceof Error) {
    let cause: unknown = error;
    while (cause instanceof Error) {
      lines.push(out.chalk.dim(cause.stack ?? String(cause)));
      cause = cause.cause;
    }
  }
  out.errorText(lines.join("\n"));
  return exitCode;
}

function outputTail(details: unknown): string | undefined {
  if (typeof details !== "object" || details === null) return undefined;
  const tail = (details as { outputTail?: unknown }).outputTail;
  return typeof tail === "string" && tail.length > 0 ? tail : undefined;
}
