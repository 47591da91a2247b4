import type Docker from "dockerode";
import { DockerUnavailableError } from "../errors.js";
import { stubHeavyDockerodeModules } from "./lazy-modules.js";

/**
 * dockerode itself, loaded on first use after lazy-modules has stubbed its gRPC and ssh2 modules. A dynamic
 * import rather than a static one: a bundler hoists a static import of an external package above the code
 * of the modules bundled with it, so the stubs would come too late (they did, in dist/app/, for a while).
 */
let dockerode: Promise<typeof Docker> | null = null;
function loadDockerode(): Promise<typeof Docker> {
  stubHeavyDockerodeModules();
  dockerode ??= import("dockerode").then((m) => m.default);
  return dockerode;
}

/** Where the engine is expected, for messages: DOCKER_HOST or the default socket. */
export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST && env.DOCKER_HOST !== "" ? env.DOCKER_HOST : "unix:///var/run/docker.sock";
}

/**
 * Connects to the engine named by DOCKER_HOST (dockerode's own rules) and pings it, so an unreachable engine
 * fails early with exit 3 instead of halfway through a command.
 */
export async function connectDocker(
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Docker> {
  const env = options.env ?? process.env;
  const endpoint = dockerEndpoint(env);
  const DockerClient = await loadDockerode();
  let docker: Docker;
  try {
    docker = new DockerClient();
  } catch (error) {
    throw new DockerUnavailableError(`cannot use DOCKER_HOST=${endpoint}`, { cause: error });
  }
  try {
    await withTimeout(docker.ping(), options.timeoutMs ?? 10_000);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new DockerUnavailableError(`Docker engine unreachable at ${endpoint} (${reason})`, {
      cause: error,
    });
  }
  return docker;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
