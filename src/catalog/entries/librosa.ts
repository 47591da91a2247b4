import { defineEntry, env, xdgCache } from "../define.js";

/**
 * librosa example audio (`librosa.ex`, `librosa.example`): LIBROSA_DATA_DIR > `pooch.os_cache("librosa")`
 * ($XDG_CACHE_HOME/librosa > ~/.cache/librosa), read when `librosa.util.files` is imported.
 * Source: librosa/librosa `librosa/util/files.py` (`__data_path`, `__GOODBOY = pooch.create(...)`), the same
 * two lines in the releases found through the code index (its current copy: 1e9f44c8ea4ed2a508887b68603e5c6ef59c0585); pooch `Pooch.fetch` in fatiando/pooch `pooch/core.py` @ 376adf80d7bf8f69080aedfda20a661514bd84d3.
 */
export default defineEntry({
  id: "librosa",
  library: "librosa",
  related: ["pooch"],
  locations: [
    {
      key: "data",
      candidates: [env("LIBROSA_DATA_DIR"), xdgCache("librosa")],
      target: "librosa",
      env: { LIBROSA_DATA_DIR: "{dir}" },
    },
  ],
  notes: [
    "librosa's numba-compiled functions need a writable NUMBA_CACHE_DIR (the Lambda target sets /tmp/numba_cache).",
  ],
});
