export { type ExportDestination, parseDestination } from "./destination.js";
export { type ExportOptions, type ExportResult, exportAssets } from "./export.js";
export { MANIFEST_FILE, type Manifest, manifestSchema, parseManifest } from "./manifest.js";
export { createS3Client, parseEndpoint } from "./s3-client.js";
