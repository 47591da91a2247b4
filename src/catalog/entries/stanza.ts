import { defineEntry, env, home, xdgCache } from "../define.js";

/**
 * stanza: `dir=` > STANZA_RESOURCES_DIR > default. The default is
 * $XDG_CACHE_HOME/stanza/<resources version>/resources since 1.11.1 (platformdirs) and ~/stanza_resources before.
 */
export default defineEntry({
  id: "stanza",
  library: "stanza",
  related: [],
  locations: [
    {
      key: "resources",
      candidates: [env("STANZA_RESOURCES_DIR"), xdgCache("stanza/*/resources")],
      target: "stanza_resources",
      env: { STANZA_RESOURCES_DIR: "{dir}" },
    },
    {
      key: "legacy",
      candidates: [env("STANZA_RESOURCES_DIR"), home("stanza_resources")],
      target: "stanza_resources",
      env: { STANZA_RESOURCES_DIR: "{dir}" },
    },
  ],
  notes: [
    "stanza.Pipeline re-downloads and rewrites resources.json by default: construct it with download_method=None (no variable exists for this).",
    "Newer stanza fetches some files through hf_hub_download and copies them into the resources dir; the HF cache copy is redundant for stanza.",
  ],
});
