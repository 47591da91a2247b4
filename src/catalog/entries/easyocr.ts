import { defineEntry, env, home } from "../define.js";

/** EasyOCR: arguments > EASYOCR_MODULE_PATH > MODULE_PATH > ~/.EasyOCR (`easyocr/config.py`). */
export default defineEntry({
  id: "easyocr",
  library: "easyocr",
  related: [],
  locations: [
    {
      key: "home",
      candidates: [env("EASYOCR_MODULE_PATH"), env("MODULE_PATH"), home(".EasyOCR")],
      target: "EasyOCR",
      env: { EASYOCR_MODULE_PATH: "{dir}" },
    },
  ],
  notes: [
    "Construct Reader(..., download_enabled=False).",
    "Reader() runs mkdir on model/ and user_network/: both must exist in the image, even when user_network/ is empty.",
  ],
});
