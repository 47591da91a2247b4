import { defineEntry, env, home } from "../define.js";

/** gensim.downloader: GENSIM_DATA_DIR > ~/gensim-data (`gensim/downloader.py`, read at import). */
export default defineEntry({
  id: "gensim",
  library: "gensim",
  related: [],
  locations: [
    {
      key: "data",
      candidates: [env("GENSIM_DATA_DIR"), home("gensim-data")],
      target: "gensim-data",
      env: { GENSIM_DATA_DIR: "{dir}" },
    },
  ],
  notes: [
    "gensim-data/information.json must be packaged: offline, api.load reads it instead of list.json.",
    "api.load always tries urlopen(list.json) and, when that succeeds, rewrites information.json: on a read-only image with network access it raises OSError. Resolve api.load(name, return_path=True) at build time and load the file with KeyedVectors.load*/load_word2vec_format at runtime.",
  ],
});
