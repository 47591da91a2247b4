import { abs, defineEntry, env, home } from "../define.js";

/**
 * keras: KERAS_HOME > ~/.keras, falling back to /tmp/.keras when ~ is not writable
 * (`keras/src/backend/config.py`); `get_file` downloads go to `<keras home>/<cache_subdir>`.
 */
export default defineEntry({
  id: "keras",
  library: "keras",
  related: ["tensorflow.keras", "keras-hub"],
  locations: [
    {
      key: "home",
      candidates: [env("KERAS_HOME"), home(".keras")],
      target: "keras",
      env: { KERAS_HOME: "{dir}" },
    },
    {
      key: "tmp-fallback",
      candidates: [env("KERAS_HOME"), abs("/tmp/.keras")],
      target: "keras",
      env: { KERAS_HOME: "{dir}" },
    },
  ],
  notes: [
    "keras.utils.get_file cannot use a read-only cache: it checks os.access(KERAS_HOME, W_OK) and silently falls back to /tmp/.keras, then downloads. Load weights by explicit path (e.g. weights='{dir}/models/<file>') or copy {dir} to /tmp/.keras at cold start.",
    "keras writes keras.json best-effort at import; harmless.",
  ],
});
