import { defineEntry, home } from "../define.js";

/**
 * open_clip URL weights: `cache_dir=` > ~/.cache/clip, hard-coded (does not honour XDG_CACHE_HOME;
 * `pretrained.py`). HF-hosted weights go to the HF hub cache (huggingface entry).
 */
export default defineEntry({
  id: "open-clip",
  library: "open_clip",
  related: ["openai clip"],
  locations: [{ key: "url-weights", candidates: [home(".cache/clip")], target: "clip" }],
  notes: [
    "open_clip URL weights have no cache variable: pass cache_dir='{dir}' to create_model_and_transforms(...).",
  ],
});
