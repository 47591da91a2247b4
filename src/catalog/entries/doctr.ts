import { defineEntry, env, home } from "../define.js";

/**
 * docTR pretrained weights: `cache_dir=` > DOCTR_CACHE_DIR > ~/.cache/doctr (`expanduser`; HOME-based, not
 * XDG), files in `<cache>/<cache_subdir>/<name>`. A hit (`is_file` + SHA-256 prefix check) returns before any
 * mkdir or download.
 * Source: mindee/doctr `doctr/utils/data.py` `download_from_url` @ 016173bf1ba41f42e190a5522fe7cf1fb83c9ec8.
 */
export default defineEntry({
  id: "doctr",
  library: "python-doctr",
  related: [],
  locations: [
    {
      key: "cache",
      candidates: [env("DOCTR_CACHE_DIR"), home(".cache/doctr")],
      target: "doctr",
      env: { DOCTR_CACHE_DIR: "{dir}" },
    },
  ],
  notes: ["docTR hashes each weight file on load (read only)."],
});
