import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

/**
 * A synthetic model for the unknown-cache tests (issue 18): three tiny libraries the catalog does not know,
 * a 3 KiB settings cache, and credentials, all written by one `python3 app.py`.
 * - xdglib caches in ${XDG_CACHE_HOME:-~/.cache}/xdglib and has no variable of its own;
 * - homelib caches in ~/.homelib and reads HOMELIB_HOME;
 * - writerlib reads WRITERLIB_HOME and writes `.last_used` into its cache on every hit.
 * Each library downloads (writes) only when its file is missing, and fails with OFFLINE_MISS when it must
 * download while MLPACK_TEST_OFFLINE=1, so an image that lacks the asset fails loudly.
 */
export const SECRET = "AKIA-MLPACK-UNKNOWN-SECRET-7f3c9e";

const LIB_COMMON = `import os


def fetch(path, size, seed):
    if not os.path.exists(path):
        if os.environ.get("MLPACK_TEST_OFFLINE") == "1":
            raise SystemExit("OFFLINE_MISS " + path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write((seed * size)[:size].encode())
    with open(path, "rb") as f:
        return f.read()
`;

export const LIBS: Record<string, string> = {
  "mlpack_fetch.py": LIB_COMMON,
  "xdglib/__init__.py": `import os
from mlpack_fetch import fetch


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "xdglib")


def load():
    return fetch(os.path.join(cache_dir(), "model.bin"), 2048, "x")
`,
  "homelib/__init__.py": `import os
from mlpack_fetch import fetch

DATA_HOME = os.environ.get("HOMELIB_HOME", os.path.join(os.path.expanduser("~"), ".homelib"))


def load():
    return fetch(os.path.join(DATA_HOME, "vocab.txt"), 1500, "h")
`,
  "writerlib/__init__.py": `import os
from mlpack_fetch import fetch


def root():
    return os.environ.get("WRITERLIB_HOME") or os.path.expanduser("~/.writerlib")


def load():
    data = fetch(os.path.join(root(), "weights.bin"), 4096, "w")
    # Like a library that stamps its cache on every hit: fails on a read-only filesystem.
    with open(os.path.join(root(), ".last_used"), "w") as f:
        f.write("1")
    return data
`,
};

export const APP = `import os
import xdglib, homelib, writerlib
from mlpack_fetch import fetch

home = os.path.expanduser("~")
xdglib.load()
homelib.load()
writerlib.load()
fetch(os.path.join(home, ".tiny-cache", "settings.json"), 3072, "t")
if os.environ.get("MLPACK_TEST_OFFLINE") != "1":
    for rel in [".aws/credentials", ".docker/config.json", ".ssh/id_rsa", ".netrc",
                ".mixed/.netrc", ".mixed/keys/.ssh/id_ed25519", ".mixed/.aws/credentials", ".mixed/.env"]:
        path = os.path.join(home, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("${SECRET}\\n")
    fetch(os.path.join(home, ".mixed", "data.bin"), 1000, "m")
print("UNKNOWN APP OK")
`;

/** Every `--include '…'` argument a discover report printed, in order. */
export function printedIncludes(stdout: string): string[] {
  return [...stdout.matchAll(/--include '((?:[^']|'\\'')*)'/g)].map((m) => (m[1] as string).replaceAll("'\\''", "'"));
}

/** Files under `dir` whose bytes (or gunzipped bytes) contain `needle`. */
export async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        const bytes = await readFile(full);
        let text = bytes.toString("latin1");
        if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
          try {
            text += gunzipSync(bytes).toString("latin1");
          } catch {
            // not gzip after all
          }
        }
        if (text.includes(needle)) out.push(full);
      }
    }
  };
  await walk(dir);
  return out;
}
