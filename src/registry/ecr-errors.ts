import { ConfigError, type MlpackError, RegistryError } from "../errors.js";

/**
 * AWS SDK failures → RegistryError with a hint that names what to fix: the missing IAM action, the
 * repository, expired or absent credentials. Matching is by `name` (SDK exception classes may come from
 * another copy of the SDK, so `instanceof` is not reliable).
 */

const ACCESS_DENIED = new Set(["AccessDeniedException", "AccessDenied", "UnauthorizedOperation"]);
const EXPIRED = new Set(["ExpiredTokenException", "ExpiredToken", "RequestExpired", "TokenRefreshRequired"]);
const BAD_CREDS = new Set([
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "InvalidClientTokenId",
]);
const RETRYABLE = new Set([
  "ThrottlingException",
  "ServerException",
  "ServiceUnavailable",
  "TooManyRequestsException",
]);

interface SdkLike {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

export function mapEcrError(err: unknown, action: string, repository?: string): MlpackError {
  if (err instanceof RegistryError) return err;
  const e = (err ?? {}) as SdkLike;
  const name = e.name ?? "Error";
  const detail = e.message ?? String(err);
  const status = e.$metadata?.httpStatusCode;
  const base = { registryCode: name, status, cause: err };
  if (name === "RepositoryNotFoundException") {
    return new RegistryError(
      repository ? `ECR repository ${repository} does not exist` : "ECR repository not found",
      {
        ...base,
        code: "E_REPOSITORY_NOT_FOUND",
        hint: "Create the repository, or push with --create-repository (needs ecr:CreateRepository).",
      },
    );
  }
  if (ACCESS_DENIED.has(name)) {
    return new RegistryError(`AWS denied ${action}: ${detail}`, {
      ...base,
      code: "E_REGISTRY_AUTH",
      hint: `Allow the IAM action ${action}${repository ? ` on repository ${repository}` : ""} for these credentials.`,
    });
  }
  if (EXPIRED.has(name)) {
    return new RegistryError(`The AWS credentials have expired (${action})`, {
      ...base,
      code: "E_REGISTRY_AUTH",
      hint: "Refresh them: aws sso login, a new session token, or re-run in a fresh CI credentials step.",
    });
  }
  if (BAD_CREDS.has(name)) {
    return new RegistryError(`AWS rejected the credentials (${name}) calling ${action}`, {
      ...base,
      code: "E_REGISTRY_AUTH",
      hint: "Check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or --profile.",
    });
  }
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(detail)) {
    return new RegistryError("No AWS credentials found", {
      ...base,
      code: "E_REGISTRY_AUTH",
      hint: "Set AWS_PROFILE or --profile, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run aws sso login.",
    });
  }
  if (/region is missing/i.test(detail)) {
    return new ConfigError("No AWS region configured", {
      cause: err,
      hint: "Pass --region, set AWS_REGION, or set a region in the AWS profile.",
    });
  }
  const retryable = RETRYABLE.has(name) || (status !== undefined && status >= 500);
  return new RegistryError(`ECR ${action} failed: ${name}: ${detail}`, {
    ...base,
    retryable,
    hint: retryable ? "ECR is throttling or failing; try again later." : `Check the AWS setup for ${action}.`,
  });
}
