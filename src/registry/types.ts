/**
 * Credentials for one registry host, as a value. A provider resolves them at call time (never at import),
 * so a config file or credential helper is only read when a push actually needs it.
 */
export type Credentials =
  | {
      kind: "basic";
      username: string;
      password: string;
      /** base64("user:pass") exactly as issued (ECR's token), sent verbatim instead of re-encoding. */
      encoded?: string;
    }
  /** A docker `identitytoken`: an OAuth2 refresh token exchanged at the Bearer realm. */
  | { kind: "identity-token"; username?: string; token: string };

export interface CredentialsProvider {
  /** Credentials for `host` ("host[:port]"), or undefined for anonymous access. */
  resolve(host: string): Promise<Credentials | undefined>;
}

/** A provider that always answers with the same credentials (or none). */
export function staticCredentials(credentials: Credentials | undefined): CredentialsProvider {
  return { resolve: async () => credentials };
}

/** The secret strings inside credentials, so error text can be scrubbed of them. */
export function secretsOf(credentials: Credentials | undefined): string[] {
  if (!credentials) return [];
  const raw =
    credentials.kind === "basic"
      ? [credentials.password, basicValue(credentials), credentials.encoded ?? ""]
      : [credentials.token];
  return raw.filter((s) => s.length >= 4);
}

/** The base64 part of a Basic Authorization header for these credentials. */
export function basicValue(credentials: Extract<Credentials, { kind: "basic" }>): string {
  return (
    credentials.encoded ?? Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")
  );
}

/** Retry policy for requests and whole-blob uploads. */
export interface RetryOptions {
  /** Total attempts including the first (default 5). */
  attempts?: number;
  /** First backoff delay; doubles per attempt, with jitter (default 500 ms). */
  baseDelayMs?: number;
  /**
   * Time retries may add after the first failure (default 60 s): no attempt starts that could not end inside
   * it, judging by the deadline that ended the last one. Bounds a silent registry to one attempt + this.
   */
  budgetMs?: number;
}
