import { defineEntry, env, home } from "../define.js";

/**
 * ModelScope: MODELSCOPE_CACHE > `Path.home()/.cache/modelscope` (HOME-based, not XDG); models under
 * `hub/<model_id>`, datasets under `datasets/`.
 * Source: modelscope/modelscope `modelscope/utils/file_utils.py` (`get_modelscope_cache_dir`,
 * `get_model_cache_root`, `get_dataset_cache_root`) @ 066ba035caf2ed2bc87c320b1871ecfd074972d0.
 */
export default defineEntry({
  id: "modelscope",
  library: "modelscope",
  related: ["funasr"],
  locations: [
    {
      key: "cache",
      candidates: [env("MODELSCOPE_CACHE", { expand: "none" }), home(".cache/modelscope")],
      target: "modelscope",
      env: { MODELSCOPE_CACHE: "{dir}" },
    },
  ],
  notes: [
    "Only this layout (models in hub/) was checked in source; older modelscope releases are not verified. Load models by their local path ({dir}/hub/<model_id>) and run mlpack verify.",
  ],
});
