import { defineEntry, env, home } from "../define.js";

/**
 * MNE-Python datasets: `path=` > config key `MNE_DATASETS_<NAME>_PATH` > config key `MNE_DATA` >
 * ~/mne_data. `get_config` looks at the environment first and then at ~/.mne/mne-python.json.
 * `MNE_DONTWRITE_HOME=true` makes MNE keep its config in a temporary folder instead of ~/.mne.
 * Source: mne-tools/mne-python `mne/utils/config.py` `_get_extra_data_path` (MNE_DONTWRITE_HOME) @
 * 025b5f6ee0981143f29286aef8875a497f2a91ab; `mne/datasets/utils.py` `_get_path` in several releases found
 * through the code index (the index's current copy is b77d479ed6c0020d83e2fe36f3eb39ae8da0ebdd).
 */
export default defineEntry({
  id: "mne",
  library: "mne",
  related: ["mne-bids"],
  locations: [
    {
      key: "data",
      candidates: [env("MNE_DATA"), home("mne_data")],
      target: "mne_data",
      env: { MNE_DATA: "{dir}" },
    },
    {
      key: "config",
      role: "noise",
      reason:
        "MNE config (mne-python.json) holding the discover run's absolute dataset paths; the image sets MNE_DATA instead",
      candidates: [env("_MNE_FAKE_HOME_DIR", { path: ".mne" }), home(".mne")],
    },
  ],
  staticEnv: { MNE_DONTWRITE_HOME: "true" },
  notes: [
    "Load with mne.datasets.<name>.data_path(download=False) so nothing is fetched or written on Lambda.",
    "A data folder set with mne.set_config('MNE_DATA', ...) lives only in ~/.mne/mne-python.json, which discover cannot read: set MNE_DATA in the environment of the discover run instead.",
  ],
});
