import { defineEntry, xdgCache } from "../define.js";

/**
 * scipy.datasets (`ascent`, `face`, `electrocardiogram`): a pooch registry at `pooch.os_cache("scipy-data")`,
 * i.e. $XDG_CACHE_HOME/scipy-data > ~/.cache/scipy-data; no scipy variable. A hit only reads and hashes.
 * Source: scipy/scipy `scipy/datasets/_fetchers.py` @ 22948d8ea34e0496589292d0cc23629bf1e65d9a;
 * `os_cache` in fatiando/pooch `pooch/utils.py` @ 04269b5901dfcd15f0a9f96b479d84ff67632f80.
 */
export default defineEntry({
  id: "scipy",
  library: "scipy.datasets",
  related: ["pooch"],
  locations: [
    {
      key: "data",
      candidates: [xdgCache("scipy-data")],
      target: "scipy-data",
      env: { XDG_CACHE_HOME: "{parent}" },
    },
  ],
  notes: [
    "scipy.datasets has no cache variable: the image sets XDG_CACHE_HOME to the folder above {dir}, which also makes other XDG-based libraries look (read-only) there.",
  ],
});
