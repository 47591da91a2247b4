import { defineEntry, env, xdgCache } from "../define.js";

/**
 * scikit-image sample data (`skimage.data.*`): a pooch registry at SKIMAGE_DATADIR (when set and not empty)
 * > `pooch.os_cache("scikit-image")` ($XDG_CACHE_HOME/scikit-image > ~/.cache/scikit-image); pooch appends
 * the scikit-image version, so files sit in `<dir>/<version>/data/…`. A hit (`_has_hash`) only reads.
 * Source: scikit-image/scikit-image `skimage/data/_fetchers.py` (`_create_image_fetcher`, `_fetch`)
 * @ 0390424aa29b16ec66525e1f5b4c108db8cf68cf; pooch `create`/`Pooch.fetch` in fatiando/pooch `pooch/core.py`
 * @ 376adf80d7bf8f69080aedfda20a661514bd84d3.
 */
export default defineEntry({
  id: "scikit-image",
  library: "scikit-image",
  related: ["pooch"],
  locations: [
    {
      key: "data",
      candidates: [env("SKIMAGE_DATADIR"), xdgCache("scikit-image")],
      target: "scikit-image",
      env: { SKIMAGE_DATADIR: "{dir}" },
    },
  ],
  notes: [
    "pooch keeps one folder per scikit-image version under {dir}: the image must run the same scikit-image version as the discover run, or it downloads again.",
  ],
});
