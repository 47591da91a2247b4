/**
 * Variables whose value is a `:`-separated search path. Where an image already sets one, mlpack adds its
 * entries instead of replacing the value (assemble), and a check accepts the value when it holds every entry
 * an asset needs (verify).
 */
export const PATH_LIKE: ReadonlySet<string> = new Set([
  "PATH",
  "LD_LIBRARY_PATH",
  "PYTHONPATH",
  "NLTK_DATA",
  "CLASSPATH",
  "MANPATH",
  "PKG_CONFIG_PATH",
  "XDG_DATA_DIRS",
  "XDG_CONFIG_DIRS",
]);

/** The non-empty entries of a search path. */
export function pathEntries(value: string): string[] {
  return value.split(":").filter((p) => p !== "");
}

/** `app`'s entries first, then those of `add` it does not have yet. */
export function joinPathLists(app: string, add: string): string {
  const have = pathEntries(app);
  return [...have, ...pathEntries(add).filter((p) => !have.includes(p))].join(":");
}

/** Whether `actual` satisfies a need for `expected`: equal, or for a search path, holding all its entries. */
export function envSatisfies(name: string, actual: string, expected: string): boolean {
  if (actual === expected) return true;
  if (!PATH_LIKE.has(name)) return false;
  const have = pathEntries(actual);
  return pathEntries(expected).every((p) => have.includes(p));
}
