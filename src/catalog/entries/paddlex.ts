import { defineEntry, env, home } from "../define.js";

/** PaddleX (and PaddleOCR 3.x): PADDLE_PDX_CACHE_HOME > ~/.paddlex; models in `official_models/` (`paddlex/utils/cache.py`). */
export default defineEntry({
  id: "paddlex",
  library: "paddlex",
  related: ["paddleocr (3.x)", "paddlepaddle"],
  locations: [
    {
      key: "home",
      candidates: [env("PADDLE_PDX_CACHE_HOME"), home(".paddlex")],
      target: "paddlex",
      env: { PADDLE_PDX_CACHE_HOME: "{dir}" },
      rules: [{ glob: "locks", kind: "noise", reason: "PaddleX file locks" }],
    },
  ],
  notes: [
    "PaddleX's @persist decorator takes file locks under <cache>/locks and writes func_ret/*.pkl; whether model loading goes through it is not verified. If verify reports writes, copy {dir} to /tmp at cold start.",
    "PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK may skip the online model-source check (exact parsing not verified).",
  ],
});
