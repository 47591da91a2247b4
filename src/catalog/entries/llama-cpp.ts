import { defineEntry, env, xdgCache } from "../define.js";

/**
 * llama.cpp CLI/server `-hf` downloads: LLAMA_CACHE > $XDG_CACHE_HOME/llama.cpp > ~/.cache/llama.cpp
 * (`fs_get_cache_directory` in llama.cpp's common code). Not in the reference catalog's verified set.
 * llama-cpp-python's from_pretrained uses the HF cache instead (huggingface entry).
 */
export default defineEntry({
  id: "llama-cpp",
  library: "llama.cpp",
  related: [],
  locations: [
    {
      key: "cache",
      candidates: [env("LLAMA_CACHE"), xdgCache("llama.cpp")],
      target: "llama.cpp",
      env: { LLAMA_CACHE: "{dir}" },
    },
  ],
  notes: ["Load GGUF files by explicit path (-m {dir}/<file>) so nothing is looked up online."],
});
