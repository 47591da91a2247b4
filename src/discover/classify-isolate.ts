import { posix } from "node:path";
import { CATALOG, NOISE_LOCATIONS } from "../catalog/index.js";
import type { CacheLocation } from "../catalog/types.js";

/** Variables that are not caches themselves and must survive isolation. */
const KEEP = new Set(["TMPDIR", "TEMP", "TMP", "VIRTUAL_ENV"]);

/**
 * For `--runner local`: the env that makes every catalogued cache land under `home`, and the variables
 * to remove from the inherited environment (a user's HF_HOME would make the model write into their real
 * cache; a user's HF_HUB_OFFLINE would stop the downloads discover exists to observe). Caches that
 * default to the temp dir (tfhub, tiktoken, fastembed) get their own variable pointed into `home`
 * rather than moving TMPDIR, so ordinary temp files stay out of the diff.
 */
export function isolatedEnv(home: string): { set: Record<string, string>; unset: string[] } {
  const set: Record<string, string> = {
    HOME: home,
    XDG_CACHE_HOME: posix.join(home, ".cache"),
    XDG_CONFIG_HOME: posix.join(home, ".config"),
    XDG_DATA_HOME: posix.join(home, ".local/share"),
  };
  for (const entry of CATALOG) {
    for (const location of entry.locations) {
      const redirect = tmpRedirect(location);
      if (redirect && !(redirect.name in set)) set[redirect.name] = posix.join(home, redirect.path);
    }
  }

  const names = new Set<string>();
  for (const location of [...CATALOG.flatMap((e) => e.locations), ...NOISE_LOCATIONS]) {
    for (const c of location.candidates) if (c.kind === "env") names.add(c.name);
  }
  for (const entry of CATALOG) for (const name of Object.keys(entry.staticEnv ?? {})) names.add(name);
  const unset = [...names].filter((n) => !KEEP.has(n) && !(n in set)).sort();
  return { set, unset };
}

/** A location whose default is under the temp dir: its own variable and the default's path below it. */
function tmpRedirect(location: CacheLocation): { name: string; path: string } | undefined {
  if ((location.role ?? "cache") !== "cache") return undefined;
  const own = location.candidates.find((c) => c.kind === "env");
  const tmp = location.candidates.find((c) => c.kind === "base" && c.base === "tmpdir");
  if (own?.kind !== "env" || tmp?.kind !== "base") return undefined;
  return { name: own.name, path: tmp.path };
}
