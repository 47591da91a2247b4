import { defineEntry, env, home } from "../define.js";

/** PaddleOCR 2.x: PADDLE_OCR_BASE_DIR > ~/.paddleocr (`paddleocr.py`). 3.x uses PaddleX (see paddlex). */
export default defineEntry({
  id: "paddleocr",
  library: "paddleocr (2.x)",
  related: ["paddlepaddle"],
  locations: [
    {
      key: "home",
      candidates: [env("PADDLE_OCR_BASE_DIR"), home(".paddleocr")],
      target: "paddleocr",
      env: { PADDLE_OCR_BASE_DIR: "{dir}" },
    },
  ],
  notes: ["Whether PaddleOCR 2.x writes at load time is not verified: run mlpack verify on the final image."],
});
