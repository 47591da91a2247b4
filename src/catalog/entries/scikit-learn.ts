import { defineEntry, env, home } from "../define.js";

/**
 * scikit-learn dataset loaders (`fetch_openml`, `fetch_california_housing`, `fetch_20newsgroups`, …):
 * `data_home=` argument > SCIKIT_LEARN_DATA > ~/scikit_learn_data, then `expanduser` and
 * `makedirs(exist_ok=True)` on every call.
 * Source: scikit-learn/scikit-learn `sklearn/datasets/_base.py` `get_data_home` @ 011dade810e5b2e748680cf415ad43b28e5241c1;
 * the cache-hit path of `fetch_california_housing` (`joblib.load` of `cal_housing.pkz`, no download) read in
 * Debian bookworm's python3-sklearn 1.2.1 (`sklearn/datasets/_california_housing.py`).
 */
export default defineEntry({
  id: "scikit-learn",
  library: "scikit-learn",
  related: ["imbalanced-learn (fetch_datasets)"],
  locations: [
    {
      key: "data",
      candidates: [env("SCIKIT_LEARN_DATA"), home("scikit_learn_data")],
      target: "scikit_learn_data",
      env: { SCIKIT_LEARN_DATA: "{dir}" },
    },
  ],
  notes: [
    "scikit-learn fetchers read the cached copy without network when it is there; pass download_if_missing=False so a missing file raises instead of downloading on Lambda.",
    "get_data_home() runs makedirs(exist_ok=True) on every call: harmless because {dir} is in the image.",
  ],
});
