import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  type ECRClientConfig,
  GetAccountSettingCommand,
  GetAuthorizationTokenCommand,
  type GetAuthorizationTokenCommandOutput,
} from "@aws-sdk/client-ecr";
import { RegistryError } from "../errors.js";
import type { EmitFn } from "../events.js";
import { mapEcrError } from "./ecr-errors.js";
import { parseRegistry } from "./endpoint.js";
import type { Credentials, CredentialsProvider } from "./types.js";

/**
 * The ECR control plane: an authorization token for the data plane (Basic credentials, cached until
 * shortly before `expiresAt`) and making sure the repository exists. Blobs and manifests then go through
 * the ordinary distribution client. Region and credentials come from the SDK default chain unless given.
 */

export interface EcrOptions {
  region?: string;
  profile?: string;
  /** A ready client (otherwise one is built from region/profile). */
  client?: ECRClient;
  /** Clock for token expiry (tests). */
  now?: () => number;
}

export interface EcrAuthorization {
  /** "host[:port]" of the registry, from proxyEndpoint. */
  registry: string;
  /** proxyEndpoint as ECR returned it, e.g. "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com". */
  endpoint: string;
  credentials: Extract<Credentials, { kind: "basic" }>;
  expiresAt: Date;
}

export interface EnsureRepositoryOptions {
  createRepository: boolean;
  emit?: EmitFn;
}

// Renew before the 12 h token actually lapses so a long push never starts on a dying token.
const EXPIRY_MARGIN_MS = 5 * 60 * 1000;
const DEFAULT_TTL_MS = 12 * 60 * 60 * 1000;

export class EcrSession {
  private readonly client: ECRClient;
  private readonly now: () => number;
  private cached: EcrAuthorization | undefined;
  private pending: Promise<EcrAuthorization> | undefined;

  constructor(options: EcrOptions = {}) {
    const config: ECRClientConfig = {};
    if (options.region) config.region = options.region;
    if (options.profile) config.profile = options.profile;
    this.client = options.client ?? new ECRClient(config);
    this.now = options.now ?? Date.now;
  }

  /** A token for the caller's default registry; cached until shortly before it expires. */
  async authorization(): Promise<EcrAuthorization> {
    if (this.cached && this.cached.expiresAt.getTime() - EXPIRY_MARGIN_MS > this.now()) return this.cached;
    this.pending ??= this.fetchAuthorization().finally(() => {
      this.pending = undefined;
    });
    this.cached = await this.pending;
    return this.cached;
  }

  /** Credentials for the ECR registry host only; any other host gets none. */
  credentialsProvider(): CredentialsProvider {
    return {
      resolve: async (host) => {
        const auth = await this.authorization();
        return host.toLowerCase() === auth.registry.toLowerCase() ? auth.credentials : undefined;
      },
    };
  }

  /** Makes sure `repository` exists, creating it when missing and allowed. */
  async ensureRepository(
    repository: string,
    options: EnsureRepositoryOptions,
  ): Promise<"exists" | "created"> {
    try {
      await this.client.send(new DescribeRepositoriesCommand({ repositoryNames: [repository] }));
      return "exists";
    } catch (err) {
      if ((err as Error)?.name !== "RepositoryNotFoundException") {
        throw mapEcrError(err, "ecr:DescribeRepositories", repository);
      }
    }
    if (!options.createRepository) {
      throw new RegistryError(`ECR repository ${repository} does not exist`, {
        code: "E_REPOSITORY_NOT_FOUND",
        registryCode: "RepositoryNotFoundException",
        hint:
          `Create it (aws ecr create-repository --repository-name ${repository}) or push with ` +
          "--create-repository, which needs the IAM action ecr:CreateRepository.",
      });
    }
    try {
      await this.client.send(new CreateRepositoryCommand({ repositoryName: repository }));
    } catch (err) {
      // Another pusher created it between our Describe and Create: that is the outcome we wanted.
      if ((err as Error)?.name === "RepositoryAlreadyExistsException") return "exists";
      throw mapEcrError(err, "ecr:CreateRepository", repository);
    }
    options.emit?.({ type: "step", message: `Created ECR repository ${repository}` });
    return "created";
  }

  /**
   * Whether the registry mounts blobs across repositories (the BLOB_MOUNTING account setting, off unless
   * enabled); undefined when the principal may not read the setting (ecr:GetAccountSetting).
   */
  async blobMounting(): Promise<boolean | undefined> {
    try {
      const out = await this.client.send(new GetAccountSettingCommand({ name: "BLOB_MOUNTING" }));
      return out.value === "ENABLED";
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.client.destroy();
  }

  private async fetchAuthorization(): Promise<EcrAuthorization> {
    let data: GetAuthorizationTokenCommandOutput;
    try {
      data = await this.client.send(new GetAuthorizationTokenCommand({}));
    } catch (err) {
      throw mapEcrError(err, "ecr:GetAuthorizationToken");
    }
    const first = data.authorizationData?.[0];
    if (!first?.authorizationToken || !first.proxyEndpoint) {
      throw new RegistryError("ECR returned no authorization data", {
        code: "E_REGISTRY_AUTH",
        hint: "Check that the principal may call ecr:GetAuthorizationToken in this region.",
      });
    }
    // The token is base64("AWS:<password>"); the registry wants it back verbatim as Basic credentials.
    const decoded = Buffer.from(first.authorizationToken, "base64").toString("utf8");
    const i = decoded.indexOf(":");
    if (i <= 0)
      throw new RegistryError("ECR returned a malformed authorization token", { code: "E_REGISTRY_AUTH" });
    const endpoint = first.proxyEndpoint;
    return {
      registry: parseRegistry(endpoint).host,
      endpoint,
      credentials: {
        kind: "basic",
        username: decoded.slice(0, i),
        password: decoded.slice(i + 1),
        encoded: first.authorizationToken,
      },
      expiresAt: first.expiresAt ?? new Date(this.now() + DEFAULT_TTL_MS),
    };
  }
}
