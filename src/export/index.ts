export { describeDestination, type ExportDestination, parseDestination } from "./destination.js";
export { type ExportOptions, type ExportResult, exportAssets } from "./export.js";
export { MANIFEST_FILE, type Manifest, manifestSchema, parseManifest } from "./manifest.js";
export { parseEndpoint } from "./endpoint.js";
// s3-client (the AWS SDK) is not re-exported: importing this module must not load the SDK.
