import { defineEntry, env, home } from "../define.js";

/**
 * deepface weights: `$DEEPFACE_HOME/.deepface/weights/<file>`, DEEPFACE_HOME defaulting to `Path.home()`.
 * The variable names the folder *above* `.deepface`, so the image points it at the asset's parent.
 * `initialize_folder()` only creates `.deepface` and `weights/` when they are missing.
 * Source: serengil/deepface `deepface/commons/folder_utils.py` (`get_deepface_home`, `initialize_folder`)
 * @ 10b2e18dcec1bb0faab6f7a64bdf0632020a2015.
 */
export default defineEntry({
  id: "deepface",
  library: "deepface",
  related: ["retina-face", "tf-keras"],
  locations: [
    {
      key: "home",
      candidates: [env("DEEPFACE_HOME", { expand: "none", path: ".deepface" }), home(".deepface")],
      target: "deepface/.deepface",
      env: { DEEPFACE_HOME: "{parent}" },
    },
  ],
  notes: [
    "deepface downloads a model's weights when they are missing from {dir}/weights: build every model the function uses (DeepFace.build_model(...)) during discover.",
  ],
});
