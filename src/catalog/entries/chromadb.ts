import { defineEntry, home } from "../define.js";

/**
 * chromadb's default embedding function (ONNXMiniLM_L6_V2): `DOWNLOAD_PATH = Path.home() / ".cache" /
 * "chroma" / "onnx_models" / "all-MiniLM-L6-v2"`, a class attribute computed at import from HOME; no
 * variable. A hit needs only the six files of `onnx/`; the downloaded `onnx.tar.gz` next to it is read
 * only when one of them is missing.
 * Source: chroma-core/chroma `chromadb/utils/embedding_functions/onnx_mini_lm_l6_v2.py`
 * (`DOWNLOAD_PATH`, `_download_model_if_not_exists`) @ 0c08df2665dde7ab1adc08ad110c15a8cf4f0a48.
 */
export default defineEntry({
  id: "chromadb",
  library: "chromadb",
  related: ["onnxruntime", "tokenizers"],
  locations: [
    {
      key: "onnx-models",
      candidates: [home(".cache/chroma/onnx_models")],
      target: "chroma/onnx_models",
      rules: [
        {
          glob: "*/onnx.tar.gz",
          kind: "noise",
          reason: "archive already extracted into onnx/ (read only when a model file is missing)",
        },
      ],
    },
  ],
  notes: [
    "chromadb has no variable for its ONNX models and computes the folder from HOME at import: set ONNXMiniLM_L6_V2.DOWNLOAD_PATH = pathlib.Path('{dir}') / 'all-MiniLM-L6-v2' (from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2) before the first embedding.",
  ],
});
