export { type ResolvedAssetImage, resolveAssetImage } from "./asset-image.js";
export {
  DEFAULT_LAMBDA_BASE,
  type DockerfileOptions,
  type DockerfileResult,
  generateDockerfile,
} from "./dockerfile.js";
export { LAMBDA_IMAGE_LIMIT_BYTES, renderDockerfile } from "./render.js";
export { shellSplit } from "./shell-split.js";
export { type DockerfileTarget, fillTemplate, loadTemplate } from "./template.js";
export type { AssetImagePin, AssetImageRef, RenderOptions, RenderResult } from "./types.js";
