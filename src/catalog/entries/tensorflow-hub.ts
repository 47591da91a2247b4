import { defineEntry, env, tmpdir } from "../define.js";

/**
 * tensorflow_hub: TFHUB_CACHE_DIR > `--tfhub_cache_dir` flag > <tempdir>/tfhub_modules (`resolver.py`).
 * The default lives in /tmp, which is empty at every Lambda cold start, so the variable is required.
 */
export default defineEntry({
  id: "tfhub",
  library: "tensorflow_hub",
  related: ["tensorflow", "kagglehub (TF models)"],
  locations: [
    {
      key: "modules",
      candidates: [env("TFHUB_CACHE_DIR"), tmpdir("tfhub_modules")],
      target: "tfhub_modules",
      env: { TFHUB_CACHE_DIR: "{dir}" },
      rules: [
        { glob: "*.lock", kind: "noise", reason: "tensorflow_hub download lock (transient)" },
        { glob: "*.tmp", kind: "noise", reason: "tensorflow_hub temporary download" },
      ],
    },
  ],
  notes: [
    "A --tfhub_cache_dir flag passed to the program overrides TFHUB_CACHE_DIR only when the variable is unset.",
  ],
});
