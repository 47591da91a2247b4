import { defineEntry, env, home } from "../define.js";

/**
 * ultralytics: settings in YOLO_CONFIG_DIR > ~/.config/Ultralytics, written at import (so it must be
 * writable: /tmp at runtime, never packaged). Weights are resolved relative to the working directory.
 */
export default defineEntry({
  id: "ultralytics",
  library: "ultralytics",
  related: [],
  locations: [
    {
      key: "settings",
      role: "noise",
      reason:
        "ultralytics settings, rewritten at import: set YOLO_CONFIG_DIR=/tmp/Ultralytics and load weights by absolute path",
      candidates: [env("YOLO_CONFIG_DIR"), home(".config/Ultralytics")],
    },
  ],
  staticEnv: { YOLO_CONFIG_DIR: "/tmp/Ultralytics" },
  notes: ["YOLO('yolov8n.pt') downloads into the working directory: load weights by absolute baked path."],
});
