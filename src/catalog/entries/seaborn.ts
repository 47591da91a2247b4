import { defineEntry, env, home, xdgCache } from "../define.js";

/**
 * seaborn `load_dataset`: `data_home=` > SEABORN_DATA > `user_cache_dir("seaborn")` (its vendored appdirs:
 * $XDG_CACHE_HOME/seaborn > ~/.cache/seaborn), then `expanduser`.
 * Source: mwaskom/seaborn `seaborn/utils.py` `get_data_home` @ 009eefc7a8e4eb091fbfcfa396859d786e985d8f and
 * `seaborn/external/appdirs.py` `user_cache_dir` @ 12a4e6b548ecbd935a66ad6adca8f061ccc87b9b.
 * Older releases used `os.environ.get('SEABORN_DATA', os.path.join('~', 'seaborn-data'))` (same function,
 * earlier versions of `seaborn/utils.py`), hence the legacy location.
 */
export default defineEntry({
  id: "seaborn",
  library: "seaborn",
  related: [],
  locations: [
    {
      key: "data",
      candidates: [env("SEABORN_DATA"), xdgCache("seaborn")],
      target: "seaborn-data",
      env: { SEABORN_DATA: "{dir}" },
    },
    {
      key: "legacy",
      candidates: [env("SEABORN_DATA"), home("seaborn-data")],
      target: "seaborn-data",
      env: { SEABORN_DATA: "{dir}" },
    },
  ],
  notes: [
    "seaborn.load_dataset(name) reads {dir}/<name>.csv when it exists and only goes online (get_dataset_names) on a miss; keep cache=True (the default).",
  ],
});
