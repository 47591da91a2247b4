/** Labels on every asset image: which lock it came from and which mlpack built it (a leaf module: cheap to import). */
export const LABEL_LOCK_DIGEST = "dev.mlpack.lock-digest";
export const LABEL_VERSION = "dev.mlpack.version";
export const LABEL_ASSET_ROOT = "dev.mlpack.asset-root";
