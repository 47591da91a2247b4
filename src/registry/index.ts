/** Pushing images to OCI registries and ECR. The CLI imports from here. */

export { RegistryClient } from "./client.js";
export { dockerConfigPath, dockerConfigProvider, dockerCredentials } from "./docker-config.js";
export { type EcrAuthorization, type EcrOptions, EcrSession } from "./ecr.js";
export { isLoopbackHost, parseRegistry } from "./endpoint.js";
export { type PushedBlob, type PushImageOptions, type PushImageResult, pushImage } from "./push.js";
export type { Credentials, CredentialsProvider, RetryOptions } from "./types.js";
export { staticCredentials } from "./types.js";
