/**
 * Minimal glob matching for POSIX paths, enough for `--exclude` and the hygiene rules: `**` spans any
 * number of path segments, `*` and `?` stay within one segment. A pattern excludes a whole subtree, so
 * callers usually ask for the top-most ancestor that matches (`topmostMatch`).
 */

const cache = new Map<string, RegExp>();

/** Compiles a glob to an anchored RegExp (memoised: the same rules run over thousands of paths). */
export function globToRegExp(glob: string): RegExp {
  const hit = cache.get(glob);
  if (hit) return hit;
  let out = "";
  let i = 0;
  while (i < glob.length) {
    const c = glob[i] as string;
    if (c === "*" && glob[i + 1] === "*") {
      const slashAfter = glob[i + 2] === "/";
      // `**/` matches zero or more whole segments; a trailing or inner `**` matches anything.
      out += slashAfter ? "(?:.*/)?" : ".*";
      i += slashAfter ? 3 : 2;
      continue;
    }
    if (c === "\\" && i + 1 < glob.length) {
      out += (glob[i + 1] as string).replace(/[\\^$.*?|+()[\]{}]/g, "\\$&");
      i += 2;
      continue;
    }
    if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += c.replace(/[\\^$.|+()[\]{}]/g, "\\$&");
    i += 1;
  }
  const re = new RegExp(`^${out}$`);
  cache.set(glob, re);
  return re;
}

/** Escapes glob metacharacters so a literal directory can prefix a pattern. */
export function escapeGlob(literal: string): string {
  return literal.replace(/[*?\\]/g, "\\$&");
}

/** True when the glob matches the path exactly. */
export function globMatches(glob: string, path: string): boolean {
  return globToRegExp(glob).test(path);
}

/**
 * The shortest prefix of `path` (itself or an ancestor, on segment boundaries) that the glob matches,
 * or undefined. Works for absolute (`/a/b`) and relative (`a/b`) paths.
 */
export function topmostMatch(glob: string, path: string): string | undefined {
  const re = globToRegExp(glob);
  const absolute = path.startsWith("/");
  const parts = path.split("/").filter((p) => p !== "");
  let prefix = absolute ? "" : undefined;
  for (const part of parts) {
    prefix = prefix === undefined ? part : `${prefix}/${part}`;
    if (re.test(prefix)) return prefix;
  }
  return undefined;
}
