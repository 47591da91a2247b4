import { dockerCredentials } from "./docker-config.js";
import type { EcrSession } from "./ecr.js";
import { ecrRegion } from "./reference.js";
import type { Credentials, CredentialsProvider } from "./types.js";

/**
 * Credentials for any registry a command touches: ECR hosts (`<account>.dkr.ecr.<region>.amazonaws.com`) get
 * a GetAuthorizationToken token of their region, every other host Docker's config. The AWS SDK is loaded only
 * when an ECR host is actually asked for.
 */
export interface RegistryCredentials extends CredentialsProvider {
  /** The ECR session of `host`, or undefined when it is not an ECR host. */
  ecr(host: string): Promise<EcrSession | undefined>;
  close(): void;
}

export interface RegistryCredentialsOptions {
  env: NodeJS.ProcessEnv;
  profile?: string;
  /** Sessions made elsewhere (tests inject a mocked SDK client this way). */
  makeSession?: (region: string) => Promise<EcrSession>;
  /** Which hosts are ECR, and in which region (default: the ECR host name pattern). */
  regionOf?: (host: string) => string | undefined;
}

export function registryCredentials(options: RegistryCredentialsOptions): RegistryCredentials {
  const sessions = new Map<string, Promise<EcrSession>>();
  const make =
    options.makeSession ??
    (async (region: string) => {
      const { EcrSession } = await import("./ecr.js");
      return new EcrSession({ region, ...(options.profile ? { profile: options.profile } : {}) });
    });
  const ecr = (host: string): Promise<EcrSession | undefined> => {
    const region = (options.regionOf ?? ecrRegion)(host);
    if (!region) return Promise.resolve(undefined);
    let session = sessions.get(region);
    if (!session) {
      session = make(region);
      sessions.set(region, session);
    }
    return session;
  };
  return {
    ecr,
    resolve: async (host: string): Promise<Credentials | undefined> => {
      const session = await ecr(host);
      if (session) return session.credentialsProvider().resolve(host);
      return dockerCredentials(host, { env: options.env });
    },
    close: () => {
      // A session that never started already failed the command; closing it has nothing to add.
      for (const s of sessions.values()) void s.then((x) => x.close()).catch(() => undefined);
    },
  };
}
