export { type ExportDestination, parseDestination } from "./destination.js";
export { type ExportOptions, type ExportResult, exportAssets } from "./export.js";
export { MANIFEST_FILE, type Manifest, manifestSchema, parseManifest } from "./manifest.js";
export { parseEndpoint } from "./endpoint.js";
export { createS3Client } from "./s3-client.js";
