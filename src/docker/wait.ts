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

/**
 * Waits for `done`, but no longer than `ms` (e.g. for a container's output to drain after it exited). The
 * timer is cleared either way: a pending one kept every `mlpack discover` alive for two idle seconds after
 * its work was done.
 */
export async function waitAtMost(done: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([done, expired]);
  } finally {
    clearTimeout(timer);
  }
}
