/**
 * The AWS SDK warns on every process that runs an SDK client under Node < 22 ("NodeVersionSupportWarning: The
 * AWS SDK for JavaScript (v3) versions published after …"): eight lines on stderr for every ECR or S3 call,
 * also under --json, about a support window mlpack's users cannot act on (mlpack supports Node 20). Only that
 * warning is dropped; every other process warning is emitted as before.
 */
const DROPPED = /^NodeVersionSupportWarning\b/;

let installed = false;

function warningText(warning: unknown): string {
  if (typeof warning === "string") return warning;
  if (warning instanceof Error) return `${warning.name === "Warning" ? "" : `${warning.name}: `}${warning.message}`;
  return "";
}

/** Whether a warning passed to process.emitWarning is the AWS SDK's Node-version notice. */
export function isDroppedWarning(warning: unknown, type?: unknown): boolean {
  return DROPPED.test(warningText(warning)) || (typeof type === "string" && DROPPED.test(type));
}

/** Installs the filter once per process (idempotent: main() may run many times in one test process). */
export function filterNodeWarnings(): void {
  if (installed) return;
  installed = true;
  const original = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    const options = rest[0];
    const type =
      typeof options === "object" && options !== null ? (options as { type?: unknown }).type : options;
    if (isDroppedWarning(warning, type)) return;
    original(warning, ...rest);
  }) as typeof process.emitWarning;
}
