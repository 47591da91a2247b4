import type Docker from "dockerode";

export interface ContainerExit {
  statusCode: number;
  /** The container was killed because it ran past `timeoutSec`. */
  timedOut: boolean;
}

/** setTimeout's limit: a longer delay (2^31 ms ≈ 24.8 days) fires at once, with only a warning. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `fn` after `ms`, for any delay: chains timers past setTimeout's 2^31 ms limit (a `--timeout` of
 * 2,200,000 s otherwise killed the command 3 s in). A non-finite delay never fires. Returns a cancel function.
 */
export function setLongTimeout(fn: () => void, ms: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  const due = Date.now() + ms;
  const arm = () => {
    const left = due - Date.now();
    if (left <= MAX_TIMER_MS) timer = setTimeout(fn, Math.max(0, left));
    else timer = setTimeout(arm, MAX_TIMER_MS);
  };
  if (Number.isFinite(ms)) arm();
  return () => clearTimeout(timer);
}

/** Waits for a started container to exit, killing it once `timeoutSec` has passed. */
export async function waitWithTimeout(container: Docker.Container, timeoutSec: number): Promise<ContainerExit> {
  let timedOut = false;
  const cancel = setLongTimeout(() => {
    timedOut = true;
    void container.kill().catch(() => undefined);
  }, timeoutSec * 1000);
  const result = (await container.wait().finally(cancel)) as { StatusCode: number };
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
