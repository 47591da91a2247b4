/** The image library: build a deterministic asset image, read it back, and stream it to `docker load`. */
export {
  type BuildImageOptions,
  type BuildResult,
  type BuiltLayer,
  buildImage,
  type ImageAsset,
} from "./build-image.js";
export { containerdImageName, dockerLoadStream, parseImageReference } from "./docker-load.js";
export { type LayerPlan, layerTitle, MAX_LAYERS, type PlanAsset, planLayers } from "./layer-plan.js";
export type { Compression } from "./layer-writer.js";
export { openLayout } from "./layout-reader.js";
export type { Platform } from "./oci-config.js";
export type { BuildWarning } from "./tar-entries.js";
