import type Docker from "dockerode";

export interface ContainerExit {
  statusCode: number;
  /** The container was killed because it ran past `timeoutSec`. */
  timedOut: boolean;
}

/** Waits for a started container to exit, killing it once `timeoutSec` has passed. */
export async function waitWithTimeout(container: Docker.Container, timeoutSec: number): Promise<ContainerExit> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void container.kill().catch(() => undefined);
  }, timeoutSec * 1000);
  const result = (await container.wait().finally(() => clearTimeout(timer))) as { StatusCode: number };
  return { statusCode: result.StatusCode, timedOut };
}
