import { defineEntry, env, home } from "../define.js";

/**
 * flair: `flair.cache_root = Path(os.getenv("FLAIR_CACHE_ROOT", Path(Path.home(), ".flair")))`, set at
 * import (no `expanduser`). Models and embeddings are cached under it; newer flair also fetches models from
 * the Hugging Face hub (huggingface entry).
 * Source: flairNLP/flair `flair/__init__.py` @ 03caada40bd43229f9c7e6d9181f306e644a53f8.
 */
export default defineEntry({
  id: "flair",
  library: "flair",
  related: ["huggingface_hub", "torch"],
  locations: [
    {
      key: "cache",
      candidates: [env("FLAIR_CACHE_ROOT", { expand: "none" }), home(".flair")],
      target: "flair",
      env: { FLAIR_CACHE_ROOT: "{dir}" },
    },
  ],
  notes: [
    "Whether flair writes on a cache hit is not verified: run mlpack verify on the final image.",
  ],
});
