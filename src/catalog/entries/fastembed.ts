import { defineEntry, env, tmpdir } from "../define.js";

/**
 * fastembed: `cache_dir=` > FASTEMBED_CACHE_PATH > <tempdir>/fastembed_cache (`common/utils.py`).
 * The default is /tmp, empty at every Lambda cold start. The layout is HF-hub-like (`models--qdrant--…`).
 */
export default defineEntry({
  id: "fastembed",
  library: "fastembed",
  related: ["qdrant-client"],
  locations: [
    {
      key: "cache",
      candidates: [env("FASTEMBED_CACHE_PATH"), tmpdir("fastembed_cache")],
      target: "fastembed_cache",
      env: { FASTEMBED_CACHE_PATH: "{dir}" },
      hfRepos: true,
      rules: [{ glob: ".locks", kind: "noise", reason: "download locks (only used while downloading)" }],
    },
  ],
  staticEnv: { HF_HUB_OFFLINE: "1" },
  notes: [
    "fastembed tries local_files_only first, so a hit writes nothing; keep trees/ consistent if you prune.",
  ],
});
