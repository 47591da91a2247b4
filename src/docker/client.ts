// Must precede dockerode: it keeps dockerode from loading gRPC and ssh2 at start (see lazy-modules.ts).
import "./lazy-modules.js";
import Docker from "dockerode";
import { DockerUnavailableError } from "../errors.js";

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
  let docker: Docker;
  try {
    docker = new Docker();
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
