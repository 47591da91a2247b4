import { defineEntry, env, home } from "../define.js";

/**
 * nilearn searches a list, like nltk: `data_dir=` > every entry of NILEARN_SHARED_DATA > every entry of
 * NILEARN_DATA (both split on `:`, not expanded) > ~/nilearn_data. A dataset found in any of them is used
 * in place; a missing one is created in the first writable directory. NILEARN_SHARED_DATA is documented
 * as the global repository "that may be read-only at the user-level", so the image sets it.
 * Source: nilearn/nilearn `nilearn/datasets/utils.py` `get_data_dirs` @ 02abadc9a68d34bfb6abc11fd6072ba848aab66d,
 * `nilearn/datasets/_utils.py` `get_dataset_dir` @ 0163b635475017be0b34326ab059b9f170f1552a.
 */
export default defineEntry({
  id: "nilearn",
  library: "nilearn",
  related: [],
  locations: [
    {
      key: "data",
      searchAll: true,
      candidates: [
        env("NILEARN_SHARED_DATA", { list: true, expand: "none" }),
        env("NILEARN_DATA", { list: true, expand: "none" }),
        home("nilearn_data"),
      ],
      target: "nilearn_data",
      env: { NILEARN_SHARED_DATA: "{dir}" },
    },
  ],
  notes: [
    "A dataset that exists under {dir} is returned without writes; a fetch_* call for one that is missing tries to create it in the first writable directory: set NILEARN_DATA=/tmp/nilearn_data if the function fetches new data at run time.",
  ],
});
