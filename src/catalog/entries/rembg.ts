import { defineEntry, env, home } from "../define.js";

/**
 * rembg model files (u2net.onnx, birefnet-*.onnx, …): U2NET_HOME > $XDG_DATA_HOME/.u2net > ~/.u2net, all
 * through `expanduser`; downloads go through `pooch.retrieve(path=u2net_home)`, which on a hit only reads and
 * hashes the file. MODEL_CHECKSUM_DISABLED (any value) skips the hash.
 * Source: danielgatis/rembg `rembg/sessions/base.py` (`u2net_home`, `checksum_disabled`) @ 066d88ba2c4d57f7942667a58bacf4ee9532b445;
 * pooch `retrieve` in fatiando/pooch `pooch/core.py` @ 376adf80d7bf8f69080aedfda20a661514bd84d3.
 */
export default defineEntry({
  id: "rembg",
  library: "rembg",
  related: ["onnxruntime", "pooch"],
  locations: [
    {
      key: "models",
      candidates: [env("U2NET_HOME"), env("XDG_DATA_HOME", { path: ".u2net" }), home(".u2net")],
      target: "u2net",
      env: { U2NET_HOME: "{dir}" },
    },
  ],
  notes: [
    "new_session() hashes the whole model file on every start; MODEL_CHECKSUM_DISABLED=1 skips that (it also skips the integrity check).",
  ],
});
