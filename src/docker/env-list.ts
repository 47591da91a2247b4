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
