import { defineEntry, home } from "../define.js";

/**
 * URL-hosted CLIP weights, shared by two libraries that both hard-code ~/.cache/clip (no variable, no XDG):
 * - open_clip: `cache_dir=` > ~/.cache/clip (`pretrained.py`); its HF-hosted weights use the HF hub cache
 *   (huggingface entry).
 * - OpenAI CLIP: `clip.load(name, download_root=None)` → `_download(url, download_root or
 *   os.path.expanduser("~/.cache/clip"))`, which returns a file whose SHA-256 matches without writing
 *   (`makedirs(exist_ok=True)` first). Source: openai/CLIP `clip/clip.py` @ 0848ed71e5bb5b4eaaa4048364001877630345dc
 *   (the `download_root` argument of later revisions read through the code index).
 */
export default defineEntry({
  id: "open-clip",
  library: "open_clip",
  related: ["openai clip"],
  locations: [{ key: "url-weights", candidates: [home(".cache/clip")], target: "clip" }],
  notes: [
    "open_clip URL weights have no cache variable: pass cache_dir='{dir}' to create_model_and_transforms(...).",
    "OpenAI CLIP has no cache variable: call clip.load(name, download_root='{dir}'). It reads the whole file to check its SHA-256 on every load.",
  ],
});
