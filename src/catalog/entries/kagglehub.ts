import { defineEntry, env, xdgCache } from "../define.js";

/** kagglehub: KAGGLEHUB_CACHE > ~/.cache/kagglehub (seen only in third-party code; not verified in source). */
export default defineEntry({
  id: "kagglehub",
  library: "kagglehub",
  related: [],
  locations: [
    {
      key: "cache",
      candidates: [env("KAGGLEHUB_CACHE"), xdgCache("kagglehub")],
      target: "kagglehub",
      env: { KAGGLEHUB_CACHE: "{dir}" },
    },
  ],
  notes: [
    "kagglehub's cache layout and offline behaviour are not verified: load the downloaded files by path at runtime.",
  ],
});
