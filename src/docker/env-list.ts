/** `KEY=VALUE` lines (image Config.Env) as a record; a bare `KEY` maps to "". */
export function parseEnvList(list: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf("=");
    if (eq === -1) env[item] = "";
    else env[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return env;
}

/** A setting that may be one value or a list (`--env A=1 --env B=2`, or one from mlpack.json): always a list. */
export function asList(value: string | readonly string[] | null | undefined): string[] {
  if (value === undefined || value === null) return [];
  return typeof value === "string" ? [value] : [...value];
}
