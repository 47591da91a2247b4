import { posix } from "node:path";

/**
 * The rules for values that reach a Dockerfile, a tar name, a filesystem path or a shell. Each check returns
 * what is wrong (a phrase for "<where> <value>: <phrase>") or undefined. `config/validate.ts` applies them to
 * mlpack.json, MLPACK_* and flags, `lock/lock-rules.ts` to mlpack.lock.json, and the Dockerfile renderer
 * asserts the same rules again so that a caller who skips validation still cannot inject an instruction.
 */
export type Check = (value: string) => string | undefined;

/** C0 controls and DEL: a line break ends a Dockerfile instruction, NUL ends a C string. */
const CONTROL = /[\u0000-\u001f\u007f]/;
const CONTROL_BUT_TAB = /[\u0000-\u0008\u000a-\u001f\u007f]/;

function controlName(c: string): string {
  const names: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\u0000": "NUL" };
  return names[c] ?? `U+${c.charCodeAt(0).toString(16).padStart(4, "0").toUpperCase()}`;
}

export const noControl: Check = (v) => {
  const c = CONTROL.exec(v)?.[0];
  return c === undefined ? undefined : `must not contain control characters (found ${controlName(c)})`;
};

/** Text that may hold a TAB but no line break, NUL or other control character (env values, commands). */
export const singleLine: Check = (v) => {
  const c = CONTROL_BUT_TAB.exec(v)?.[0];
  return c === undefined ? undefined : `must not contain line breaks or control characters (found ${controlName(c)})`;
};

export const noNul: Check = (v) => (v.includes("\u0000") ? "must not contain NUL" : undefined);

export function maxLength(n: number): Check {
  return (v) => (v.length > n ? `must be at most ${n} characters (is ${v.length})` : undefined);
}

export const notEmpty: Check = (v) => (v.trim() === "" ? "must not be empty" : undefined);

/** Environment variable names as POSIX shells and Dockerfile ENV accept them. */
export const envName: Check = (v) =>
  /^[A-Za-z_][A-Za-z0-9_]*$/.test(v) && v.length <= 256
    ? undefined
    : "must be a variable name ([A-Za-z_][A-Za-z0-9_]*, at most 256 characters)";

/** Asset ids and library names: lowercase words joined by `.`, `_` or `-`, as catalog ids are. */
export const slug: Check = (v) =>
  /^[a-z0-9][a-z0-9._-]*$/.test(v) && v.length <= 128
    ? undefined
    : "must be a slug: lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128 characters";

/** What `docker` accepts as an image reference (name, :tag, @digest, an image ID): no spaces, quotes, `$` or `\`. */
export const imageRef: Check = (v) =>
  /^[A-Za-z0-9][A-Za-z0-9._\-/:@+]*$/.test(v) && v.length <= 512
    ? undefined
    : "must be an image reference (letters, digits and . _ - / : @ +; no spaces, quotes, '$' or '\\'; at most 512 characters)";

/** A Lambda handler: `module.function`, each part a Python identifier. */
export const handlerName: Check = (v) =>
  /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(v) && v.length <= 256
    ? undefined
    : "must be MODULE.FUNCTION (Python identifiers joined by dots), e.g. app.handler";

const MAX_PATH = 4096;
const MAX_SEGMENT = 255;

function segmentTooLong(p: string): string | undefined {
  const long = p.split("/").find((s) => Buffer.byteLength(s) > MAX_SEGMENT);
  return long === undefined ? undefined : `has a path component longer than ${MAX_SEGMENT} bytes`;
}

/** A path whose components a filesystem can hold (255 bytes each, 4096 in all). */
export const pathFits: Check = (v) =>
  Buffer.byteLength(v) > MAX_PATH ? `must be at most ${MAX_PATH} bytes long` : segmentTooLong(v);

/** A relative path that stays where it is put: normalised, no `..`, no `.`, no leading or trailing `/`. */
export const relativeInside: Check = (v) => {
  if (v === "") return "must not be empty";
  const bad = noControl(v);
  if (bad) return bad;
  if (v.startsWith("/")) return "must be a relative path";
  if (v.split("/").includes("..")) return 'must not contain ".."';
  if (posix.normalize(v) !== v || v.endsWith("/") || v === ".")
    return `must be a normalised path (${JSON.stringify(posix.normalize(v).replace(/\/+$/, ""))})`;
  if (v.length > MAX_PATH) return `must be at most ${MAX_PATH} characters`;
  return segmentTooLong(v);
};

/** An absolute, normalised path: `/cache`, `/opt/ml` (no trailing `/` except the root itself). */
export const absoluteNormalised: Check = (v) => {
  const bad = noControl(v);
  if (bad) return bad;
  if (!v.startsWith("/")) return "must be an absolute path";
  if (v.split("/").includes("..")) return 'must not contain ".."';
  const normal = posix.normalize(v);
  if (normal !== v || (v.length > 1 && v.endsWith("/")))
    return `must be a normalised path (${JSON.stringify(normal.length > 1 ? normal.replace(/\/+$/, "") : normal)})`;
  if (v.length > MAX_PATH) return `must be at most ${MAX_PATH} characters`;
  return segmentTooLong(v);
};

/**
 * A path written in mlpack.json (relative to the project): it may not leave the project, so no absolute
 * path and no `..` that climbs out. Only a path given on the command line may point elsewhere.
 */
export const projectRelative: Check = (v) => {
  const bad = noControl(v);
  if (bad) return bad;
  if (posix.isAbsolute(v) || /^[A-Za-z]:[\\/]/.test(v))
    return "must be relative to the project (an absolute path is only accepted on the command line)";
  const normal = posix.normalize(v);
  if (normal === ".." || normal.startsWith("../"))
    return "must stay inside the project (a path outside it is only accepted on the command line)";
  return undefined;
};

/** A build-context path for COPY: Docker would expand `*`, `?` and `[` as a glob. */
export const noGlob: Check = (v) =>
  /[*?[]/.test(v) ? "must be a path, not a glob (copy the folder instead)" : undefined;

/** The first violation of `checks`, in order. */
export function violation(value: string, checks: readonly Check[]): string | undefined {
  for (const check of checks) {
    const bad = check(value);
    if (bad) return bad;
  }
  return undefined;
}

/** A value as it appears in an error message: JSON-quoted (so control characters show) and cut when long. */
export function showValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 60)}…" (${String(value).length} characters)` : text;
}
