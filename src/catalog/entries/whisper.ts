import { defineEntry, xdgCache } from "../define.js";

/**
 * openai-whisper: `download_root=` > $XDG_CACHE_HOME/whisper > ~/.cache/whisper (`whisper/__init__.py`).
 * There is no whisper variable, so the runtime ENV moves XDG_CACHE_HOME to the asset root.
 */
export default defineEntry({
  id: "whisper",
  library: "openai-whisper",
  related: [],
  locations: [
    {
      key: "models",
      candidates: [xdgCache("whisper")],
      target: "whisper",
      env: { XDG_CACHE_HOME: "{parent}" },
    },
  ],
  notes: [
    "whisper has no cache variable; the image sets XDG_CACHE_HOME={parent}, which also makes other XDG-based libraries look (read-only) there. Prefer whisper.load_model(name, download_root='{dir}').",
    "whisper reads each model file fully and checks its SHA256 on every load (no writes).",
  ],
});
