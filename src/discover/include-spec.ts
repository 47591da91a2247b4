import { posix } from "node:path";
import { UsageError } from "../errors.js";
import { escapeName } from "../util/names.js";
import { isInsideOrEqual, relativeTo } from "./classify-paths.js";

/**
 * `--include PATH[=VAR]` as the user typed it (flag, MLPACK_DISCOVER_INCLUDE or mlpack.json). PATH is
 * `~/x`, `$HOME/x` (or `${HOME}/x`), an absolute path, or a path relative to the project; it is resolved
 * against the *run's* HOME and project folder, never the host's, so the same argument means the same folder
 * on both runners (the local runner's HOME is a throwaway folder). Pure: parsing here, resolution once the
 * run's HOME is known.
 */
export interface IncludeSpec {
  /** The argument as given, for messages. */
  raw: string;
  path: IncludePath;
  /** The variable that moves the folder (`=VAR`). */
  variable?: string;
}

export type IncludePath =
  | { base: "home"; rel: string }
  | { base: "project"; rel: string }
  | { base: "abs"; path: string };

/** Where a run keeps HOME and the project: `/root` and `/var/task` in a container, temp and cwd locally. */
export interface RunPlaces {
  home: string;
  /** The project folder as the command saw it (the container's workdir, or the host project). */
  projectRoot?: string | undefined;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Control characters would break the report, a lock line or a Dockerfile comment; no cache is named so.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Parses one `--include` argument; a malformed one is exit 2 naming it. */
export function parseIncludeSpec(raw: string, flag = "--include"): IncludeSpec {
  const bad = (why: string, hint = "Use ~/x, $HOME/x or an absolute path, optionally =VAR: --include '~/.mylib=MYLIB_HOME'") =>
    new UsageError(`${flag} ${escapeName(raw)}: ${why}`, { hint });
  if (raw.trim() === "") throw bad("empty path");
  if (CONTROL.test(raw)) throw bad("control characters (newline, tab, …) are not allowed");
  let pathText = raw;
  let variable: string | undefined;
  const eq = raw.lastIndexOf("=");
  if (eq >= 0) {
    const name = raw.slice(eq + 1);
    if (!ENV_NAME.test(name)) {
      throw bad(`"${name}" after "=" is not a variable name ([A-Za-z_][A-Za-z0-9_]*)`);
    }
    variable = name;
    pathText = raw.slice(0, eq);
    if (pathText === "") throw bad("no path before =");
  }
  return { raw, path: parsePath(pathText, bad), ...(variable === undefined ? {} : { variable }) };
}

function parsePath(text: string, bad: (why: string, hint?: string) => UsageError): IncludePath {
  const home = /^(?:~|\$HOME|\$\{HOME\})(?=\/|$)/.exec(text);
  if (home) return { base: "home", rel: cleanRel(text.slice(home[0].length), bad) };
  if (text.startsWith("~")) throw bad("only ~ (the run's HOME) is expanded, not ~user");
  if (text.startsWith("$")) throw bad("only $HOME is expanded in --include paths");
  if (text.startsWith("/")) {
    if (hasDotDot(text)) throw bad('".." is not allowed; name the folder itself');
    return { base: "abs", path: normalize(text) };
  }
  const rel = cleanRel(text, bad);
  if (rel === "") throw bad("the project folder itself cannot be an asset");
  return { base: "project", rel };
}

function cleanRel(text: string, bad: (why: string) => UsageError): string {
  if (hasDotDot(text)) throw bad('".." is not allowed; name the folder itself');
  const trimmed = text.replace(/^\/+|\/+$/g, "");
  if (trimmed === "") return "";
  const rel = posix.normalize(trimmed).replace(/\/+$/, "");
  return rel === "." ? "" : rel.replace(/^\.\//, "");
}

function hasDotDot(text: string): boolean {
  return text.split("/").includes("..");
}

function normalize(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith("/") ? n.slice(0, -1) : n;
}

/** The absolute path (in the run's filesystem) an include names. */
export function resolveIncludePath(path: IncludePath, places: RunPlaces): string {
  switch (path.base) {
    case "home":
      return path.rel === "" ? places.home : posix.join(places.home, path.rel);
    case "abs":
      return path.path;
    case "project":
      if (places.projectRoot === undefined) {
        throw new UsageError(`--include ${path.rel}: a relative path needs the project folder`, {
          hint: "Use ~/x, $HOME/x or an absolute path.",
        });
      }
      return posix.join(places.projectRoot, path.rel);
  }
}

/**
 * How a run path is written so that it works as an `--include` argument on either runner and never names a
 * host-specific folder: `~/x` under HOME, `x` (project-relative) under the project, else absolute.
 */
export function portablePath(path: string, places: RunPlaces): string {
  if (isInsideOrEqual(path, places.home)) {
    const rel = relativeTo(places.home, path);
    return rel === "" ? "~" : `~/${rel}`;
  }
  if (places.projectRoot !== undefined && isInsideOrEqual(path, places.projectRoot)) {
    const rel = relativeTo(places.projectRoot, path);
    if (rel !== "") return `./${rel}`;
  }
  return path;
}

/** The value to put in `--include` / mlpack.json's `discover.include`. */
export function includeValue(path: string, places: RunPlaces, variable?: string): string {
  return variable === undefined ? portablePath(path, places) : `${portablePath(path, places)}=${variable}`;
}

/** The exact shell argument to paste: single-quoted, so the shell does not expand `~` to the host's HOME. */
export function includeArgument(value: string): string {
  return `--include '${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * A stable id part for a folder, relative to HOME or the project so the lock is the same on every machine:
 * `~/.cache/mylib` → "cache-mylib", `./models` → "project-models", `/opt/ml/models` → "opt-ml-models".
 */
export function portableSlug(path: string, places: RunPlaces): string {
  if (isInsideOrEqual(path, places.home)) {
    const rel = relativeTo(places.home, path);
    return rel === "" ? "home" : slug(rel);
  }
  if (places.projectRoot !== undefined && isInsideOrEqual(path, places.projectRoot)) {
    const rel = relativeTo(places.projectRoot, path);
    return rel === "" ? "project" : `project-${slug(rel)}`;
  }
  return slug(path);
}

/** A readable id part: lower case, runs of other characters become "-", no leading/trailing "-" or ".". */
export function slug(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9._]+/g, "-")
    .replace(/\.{2,}/g, ".")
    .replace(/^[-.]+|[-.]+$/g, "");
  return s === "" ? "root" : s;
}
