import { defineEntry, home } from "../define.js";

/** gpt4all: `model_path=` argument only, default ~/.cache/gpt4all (`gpt4all.py`); no variable found. */
export default defineEntry({
  id: "gpt4all",
  library: "gpt4all",
  related: [],
  locations: [{ key: "models", candidates: [home(".cache/gpt4all")], target: "gpt4all" }],
  notes: ["gpt4all has no cache variable: use GPT4All(name, model_path='{dir}', allow_download=False)."],
});
