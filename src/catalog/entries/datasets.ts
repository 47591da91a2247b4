import { defineEntry, env, ref } from "../define.js";

/**
 * Hugging Face datasets' Arrow cache: HF_DATASETS_CACHE > $HF_HOME/datasets (datasets `config.py`).
 * By default it sits inside the HF home and is packaged with it.
 */
export default defineEntry({
  id: "datasets",
  library: "datasets",
  related: ["huggingface_hub"],
  locations: [
    {
      key: "cache",
      candidates: [env("HF_DATASETS_CACHE"), ref("huggingface.home", "datasets")],
      target: "hf_datasets",
      env: { HF_DATASETS_CACHE: "{dir}" },
      packageWith: "huggingface.home",
      rules: [{ glob: "**/*.lock", kind: "noise", reason: "datasets lock file (transient)" }],
    },
  ],
  staticEnv: { HF_DATASETS_OFFLINE: "1", HF_HUB_OFFLINE: "1" },
  notes: [
    "datasets.load_dataset takes file locks in HF_DATASETS_CACHE even on a cache hit and fails on a read-only filesystem: copy {dir} to /tmp at cold start and point HF_DATASETS_CACHE there, or use load_from_disk / Dataset.from_file / read the parquet files directly.",
  ],
});
