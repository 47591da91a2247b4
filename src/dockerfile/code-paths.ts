import { posix } from "node:path";
import { UsageError } from "../errors.js";
import { noControl, noGlob, pathFits, showValue } from "../util/value-rules.js";

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `app.handler` → module `app`, function `handler`; `pkg.api.handler` → module `pkg.api`. */
export function parseHandler(handler: string): { module: string; func: string } {
  const parts = handler.split(".");
  if (parts.length < 2 || !parts.every((p) => IDENT.test(p))) {
    throw new UsageError(`--handler ${handler} is not MODULE.FUNCTION`, {
      hint: "Name the Python module and function Lambda calls, e.g. --handler app.handler.",
    });
  }
  return { module: parts.slice(0, -1).join("."), func: parts[parts.length - 1]! };
}

/**
 * What to copy when no --copy is given: the handler's module file (`app.py`), or the top-level package
 * directory for a dotted module (`pkg.api.handler` → `pkg`), which is the smallest copy that imports.
 */
export function defaultCodePaths(handler: string): string[] {
  const { module } = parseHandler(handler);
  const parts = module.split(".");
  return parts.length === 1 ? [`${module}.py`] : [parts[0]!];
}

/**
 * A project path as it may appear in a COPY source: relative, inside the build context, normalised, no control
 * characters and no glob characters. `flag` names the option for the error message.
 */
export function contextPath(path: string, flag: string): string {
  const bad = noControl(path) ?? noGlob(path) ?? pathFits(path);
  if (bad) throw new UsageError(`${flag} ${showValue(path)}: ${bad}`);
  const normal = posix.normalize(path).replace(/\/+$/, "");
  if (
    normal === "" ||
    normal === "." ||
    posix.isAbsolute(normal) ||
    normal === ".." ||
    normal.startsWith("../")
  ) {
    throw new UsageError(`${flag} ${path} must be a path inside the project (the build context)`, {
      hint: "Give paths relative to the project directory, e.g. --copy src.",
    });
  }
  return normal;
}
