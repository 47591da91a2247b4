import { abs, defineEntry, env, home } from "../define.js";

/**
 * nltk searches a list, it does not pick one directory: every NLTK_DATA entry, ~/nltk_data, then
 * sys.prefix and system dirs (`nltk/data.py`). The downloader writes to the first existing writable
 * entry, else ~/nltk_data, so any of them may be where a run left data. sys.prefix is guessed for the
 * common images (Lambda's /var/lang, /usr/local, /usr) and a virtualenv.
 */
const prefixes = ["/var/lang", "/usr/local", "/usr"];

export default defineEntry({
  id: "nltk",
  library: "nltk",
  related: [],
  locations: [
    {
      key: "data",
      searchAll: true,
      candidates: [
        env("NLTK_DATA", { list: true }),
        home("nltk_data"),
        env("VIRTUAL_ENV", { path: "nltk_data" }),
        env("VIRTUAL_ENV", { path: "share/nltk_data" }),
        env("VIRTUAL_ENV", { path: "lib/nltk_data" }),
        ...prefixes.flatMap((p) => [
          abs(`${p}/nltk_data`),
          abs(`${p}/share/nltk_data`),
          abs(`${p}/lib/nltk_data`),
        ]),
      ],
      target: "nltk_data",
      env: { NLTK_DATA: "{dir}" },
    },
  ],
  notes: [
    "Remove runtime nltk.download(...) calls (they fetch index.xml and try to write), or pass download_dir='{dir}'.",
    "Keep nltk_data as real files: current nltk rejects symlinks that resolve outside its roots.",
  ],
});
