import { defineEntry, env, tmpdir } from "../define.js";

/**
 * tiktoken: TIKTOKEN_CACHE_DIR > DATA_GYM_CACHE_DIR > <tempdir>/data-gym-cache; an empty value disables
 * caching (`tiktoken/load.py`). The default is /tmp, empty at every Lambda cold start.
 */
export default defineEntry({
  id: "tiktoken",
  library: "tiktoken",
  related: ["openai", "langchain"],
  locations: [
    {
      key: "cache",
      candidates: [
        env("TIKTOKEN_CACHE_DIR", { emptyDisables: true }),
        env("DATA_GYM_CACHE_DIR", { emptyDisables: true }),
        tmpdir("data-gym-cache"),
      ],
      target: "tiktoken",
      env: { TIKTOKEN_CACHE_DIR: "{dir}" },
    },
  ],
  notes: [
    "Files are named sha1(url); on a hash mismatch tiktoken re-fetches, and with an explicit TIKTOKEN_CACHE_DIR a failed write raises.",
  ],
});
