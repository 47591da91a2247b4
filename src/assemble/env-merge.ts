import { joinPathLists, PATH_LIKE } from "../util/path-lists.js";

/**
 * Merging the lock's ENV into the app image's `config.Env` (a list of `K=V`). The app's own variables come
 * first and keep their order; new ones are appended after them. Where both set a variable:
 * - search-path lists (PATH, PYTHONPATH, NLTK_DATA, …) are joined: the app's entries first, then the asset
 *   entries it does not already have, so the app's own choices keep priority and the assets are still found;
 * - an asset location (HF_HOME=/cache/huggingface) replaces the app's value, with a note: the assets are only
 *   where the asset image put them;
 * - an always-on Lambda default (HOME=/tmp, …) never replaces what the app set itself.
 */

export interface EnvMergeResult {
  env: string[];
  /** What changed, per variable: "added", "joined" (path list), "replaced" (asset location), "kept". */
  changes: { name: string; action: "added" | "joined" | "replaced" | "kept"; value: string; was?: string }[];
  notes: string[];
}

function split(entry: string): [string, string] {
  const i = entry.indexOf("=");
  return i < 0 ? [entry, ""] : [entry.slice(0, i), entry.slice(i + 1)];
}


/**
 * @param appEnv the app image's `config.Env`
 * @param assetEnv variables the assets need (their locations, offline switches): win over the app's values
 * @param defaults always-on variables (Lambda's /tmp redirects): only fill what the app left unset
 */
export function mergeEnv(
  appEnv: readonly string[],
  assetEnv: Readonly<Record<string, string>>,
  defaults: Readonly<Record<string, string>> = {},
): EnvMergeResult {
  const order: string[] = [];
  const values = new Map<string, string>();
  for (const entry of appEnv) {
    const [k, v] = split(entry);
    if (!values.has(k)) order.push(k);
    values.set(k, v);
  }
  const changes: EnvMergeResult["changes"] = [];
  const notes: string[] = [];
  const set = (name: string, value: string) => {
    if (!values.has(name)) order.push(name);
    values.set(name, value);
  };
  for (const [name, value] of Object.entries(assetEnv)) {
    const was = values.get(name);
    if (was === undefined) {
      set(name, value);
      changes.push({ name, action: "added", value });
    } else if (was === value) {
      changes.push({ name, action: "kept", value });
    } else if (PATH_LIKE.has(name)) {
      const joined = joinPathLists(was, value);
      set(name, joined);
      changes.push({ name, action: "joined", value: joined, was });
    } else {
      set(name, value);
      changes.push({ name, action: "replaced", value, was });
      notes.push(`the app image sets ${name}=${was}; the assets need ${name}=${value}, which is what the result sets`);
    }
  }
  for (const [name, value] of Object.entries(defaults)) {
    if (values.has(name) || Object.hasOwn(assetEnv, name)) continue;
    set(name, value);
    changes.push({ name, action: "added", value });
  }
  return { env: order.map((k) => `${k}=${values.get(k) ?? ""}`), changes, notes };
}
