import { defineEntry, env, ref } from "../define.js";

/**
 * sentence-transformers outside the HF cache: SENTENCE_TRANSFORMERS_HOME (any version; ≥2.3 stores an
 * HF-hub layout there) or, for ≤2.2.2, flat `<org>_<name>/` dirs under $TORCH_HOME/sentence_transformers.
 * ≥2.3 without the variable uses the HF hub cache and is covered by the huggingface entry.
 */
export default defineEntry({
  id: "sentence-transformers",
  library: "sentence-transformers",
  related: ["huggingface_hub", "torch"],
  locations: [
    {
      key: "home",
      candidates: [env("SENTENCE_TRANSFORMERS_HOME"), ref("torch.home", "sentence_transformers")],
      target: "sentence_transformers",
      env: { SENTENCE_TRANSFORMERS_HOME: "{dir}" },
      hfRepos: true,
      rules: [{ glob: ".locks", kind: "noise", reason: "download locks (only used while downloading)" }],
    },
  ],
  staticEnv: { HF_HUB_OFFLINE: "1" },
  notes: [
    "sentence-transformers >=2.3 passes SENTENCE_TRANSFORMERS_HOME as cache_dir, replacing HF_HUB_CACHE for its models: keep the same variable at runtime.",
  ],
});
