import { defineEntry, env, ref } from "../define.js";

/**
 * Hugging Face evaluate: downloaded files in HF_EVALUATE_CACHE > $HF_HOME/evaluate, metric scripts in
 * HF_MODULES_CACHE (huggingface entry), and a per-computation folder under HF_METRICS_CACHE >
 * $HF_HOME/metrics that every `EvaluationModule` builds at construction (so it must be writable).
 * HF_EVALUATE_CACHE and HF_METRICS_CACHE are taken as written (`Path(os.getenv(...))`, no `expanduser`).
 * Offline switch: HF_EVALUATE_OFFLINE (1/ON/YES/TRUE).
 * Source: huggingface/evaluate `src/evaluate/config.py` and `src/evaluate/module.py`
 * (`_data_dir_root = expanduser(cache_dir or config.HF_METRICS_CACHE)`), read through the code index (its
 * current copy of config.py: 2de2415ae335b40fede4f89850c2497628f01835).
 */
export default defineEntry({
  id: "evaluate",
  library: "evaluate",
  related: ["huggingface_hub", "datasets"],
  locations: [
    {
      key: "cache",
      candidates: [env("HF_EVALUATE_CACHE", { expand: "none" }), ref("huggingface.home", "evaluate")],
      target: "hf_evaluate",
      env: { HF_EVALUATE_CACHE: "{dir}" },
      packageWith: "huggingface.home",
    },
    {
      key: "metrics",
      role: "noise",
      reason: "evaluate's per-computation scratch (HF_METRICS_CACHE), rebuilt at every run; the image points it at /tmp",
      candidates: [env("HF_METRICS_CACHE", { expand: "none" }), ref("huggingface.home", "metrics")],
    },
  ],
  staticEnv: { HF_EVALUATE_OFFLINE: "1", HF_METRICS_CACHE: "/tmp/hf_metrics" },
  notes: [
    "evaluate.load('<name>') runs the metric script from HF_MODULES_CACHE: keep the huggingface modules/ folder in the image (it is packaged with the Hugging Face home).",
  ],
});
