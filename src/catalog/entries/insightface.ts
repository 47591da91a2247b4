import { defineEntry, home } from "../define.js";

/** insightface: `root=` argument only, default ~/.insightface (`utils/storage.py`); no variable exists. */
export default defineEntry({
  id: "insightface",
  library: "insightface",
  related: ["onnxruntime"],
  locations: [{ key: "home", candidates: [home(".insightface")], target: "insightface" }],
  notes: [
    "insightface has no cache variable: pass root='{dir}' to FaceAnalysis(...) and model_zoo.get_model(...).",
  ],
});
