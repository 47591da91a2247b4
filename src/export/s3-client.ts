import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { ConfigError, InterruptedError, MlpackError, RegistryError } from "../errors.js";
import { parseEndpoint } from "./endpoint.js";

export interface S3ConnectOptions {
  region?: string;
  profile?: string;
  /** An S3-compatible server instead of AWS, e.g. http://127.0.0.1:4568. */
  endpoint?: string;
  env: NodeJS.ProcessEnv;
}


/**
 * An S3 client the way push builds its ECR client: credentials and region from the AWS SDK default chain
 * (AWS_* variables, profiles, SSO, instance/container roles) unless --region/--profile say otherwise. With
 * --endpoint (an S3-compatible server): path-style addressing, a default region, and checksums only where the
 * API requires them (such servers rarely decode the SDK's aws-chunked checksum trailers); integrity of single
 * uploads still comes from the x-amz-checksum-sha256 header mlpack sends itself.
 */
export function createS3Client(opts: S3ConnectOptions): S3Client {
  const config: S3ClientConfig = { followRegionRedirects: true };
  if (opts.profile) config.profile = opts.profile;
  if (opts.endpoint) {
    config.endpoint = parseEndpoint(opts.endpoint).toString().replace(/\/$/, "");
    config.forcePathStyle = true;
    config.requestChecksumCalculation = "WHEN_REQUIRED";
    config.responseChecksumValidation = "WHEN_REQUIRED";
    config.region = opts.region ?? opts.env.AWS_REGION ?? opts.env.AWS_DEFAULT_REGION ?? "us-east-1";
  } else if (opts.region) {
    config.region = opts.region;
  }
  return new S3Client(config);
}

interface SdkLike {
  name?: string;
  Code?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

const AUTH = new Set([
  "AccessDenied",
  "AllAccessDisabled",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "InvalidToken",
  "ExpiredToken",
  "TokenRefreshRequired",
  "RequestTimeTooSkewed",
]);
const NETWORK = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * An SDK failure as an exit-5 error that names the S3 error code, the bucket or key, and what to fix (the IAM
 * action, the region, the endpoint). Matching is by name/code, not `instanceof` (the SDK may be duplicated).
 */
export function mapS3Error(err: unknown, action: string, where: string): MlpackError {
  if (err instanceof MlpackError) return err;
  const e = (err ?? {}) as SdkLike;
  const name = e.Code ?? e.name ?? "Error";
  const detail = e.message ?? String(err);
  const status = e.$metadata?.httpStatusCode;
  const base = { registryCode: name, ...(status === undefined ? {} : { status }), cause: err };
  if (name === "AbortError" || name === "RequestAbortedError") return new InterruptedError();
  if (name === "NoSuchBucket") {
    const bucket = /^s3:\/\/([^/]+)/.exec(where)?.[1] ?? where;
    return new RegistryError(`S3 bucket ${bucket} does not exist (NoSuchBucket, for ${where})`, {
      ...base,
      code: "E_S3_NO_BUCKET",
      hint: "Create the bucket (aws s3 mb s3://BUCKET), or check the name in --to and the account/--endpoint.",
    });
  }
  if (AUTH.has(name) || status === 403) {
    return new RegistryError(`S3 denied ${action} on ${where} (${name}): ${detail}`, {
      ...base,
      code: "E_S3_AUTH",
      hint:
        name === "InvalidAccessKeyId" || name === "SignatureDoesNotMatch" || name === "ExpiredToken"
          ? "Check the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or --profile); refresh an expired session."
          : `Allow ${action} on the bucket and prefix for these credentials (export needs s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject).`,
    });
  }
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(detail)) {
    return new RegistryError("No AWS credentials found for S3", {
      ...base,
      code: "E_S3_AUTH",
      hint: "Set AWS_PROFILE or --profile, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run aws sso login.",
    });
  }
  if (/region is missing/i.test(detail)) {
    return new ConfigError("No AWS region configured for S3", {
      cause: err,
      hint: "Pass --region, set AWS_REGION, or set a region in the AWS profile.",
    });
  }
  if (NETWORK.has(e.code ?? "") || NETWORK.has(name) || name === "TimeoutError") {
    return new RegistryError(`S3 endpoint unreachable during ${action} on ${where} (${e.code ?? name}): ${detail}`, {
      ...base,
      code: "E_S3_UNREACHABLE",
      retryable: true,
      hint: "Check --endpoint (or the network to AWS), proxies and firewalls, then run the export again; it resumes where it stopped.",
    });
  }
  const retryable = name === "SlowDown" || (status !== undefined && status >= 500);
  return new RegistryError(`S3 ${action} on ${where} failed (${name}): ${detail}`, {
    ...base,
    code: "E_S3",
    retryable,
    hint: retryable
      ? "S3 is throttling or failing: run the export again later; it resumes where it stopped."
      : name === "PermanentRedirect" || name === "AuthorizationHeaderMalformed" || name === "IllegalLocationConstraintException"
        ? "The bucket is in another region: pass --region with the bucket's region."
        : `Check the bucket, the prefix and the permissions for ${action}.`,
  });
}
