import { InterruptedError, RegistryError } from "../errors.js";
import type { RetryOptions } from "./types.js";

/**
 * Bounded retries with exponential backoff and jitter. Only errors a retry can help (RegistryError with
 * `retryable`) are retried, at most `attempts` times and only inside a time budget counted from the first
 * failure; after the last attempt the error is rethrown saying how many attempts ran.
 */

export const DEFAULT_ATTEMPTS = 5;
export const DEFAULT_BASE_DELAY_MS = 500;
export const DEFAULT_RETRY_BUDGET_MS = 60_000;
const MAX_DELAY_MS = 30_000;

export interface RetryContext extends RetryOptions {
  signal?: AbortSignal;
  /** Called before each backoff sleep; `attempt` is the one that just failed (1-based). */
  onRetry?: (error: RegistryError, attempt: number, delayMs: number) => void;
}

/** Delay before attempt `attempt + 1`: base·2^(attempt-1), jittered into [½, 1] of that, capped at 30 s. */
export function backoffDelay(
  attempt: number,
  baseDelayMs: number,
  random: () => number = Math.random,
): number {
  const full = Math.min(MAX_DELAY_MS, baseDelayMs * 2 ** (attempt - 1));
  return Math.round(full / 2 + (random() * full) / 2);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new InterruptedError());
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new InterruptedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** How long an attempt that failed like `err` would take again: the deadline that ended it, if one did. */
function expectedDuration(err: RegistryError): number {
  const limit = (err.details as { deadlineMs?: unknown } | undefined)?.deadlineMs;
  return typeof limit === "number" ? limit : 0;
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, ctx: RetryContext = {}): Promise<T> {
  const attempts = Math.max(1, ctx.attempts ?? DEFAULT_ATTEMPTS);
  const base = ctx.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const budget = ctx.budgetMs ?? DEFAULT_RETRY_BUDGET_MS;
  let firstFailure: number | undefined;
  for (let attempt = 1; ; attempt++) {
    if (ctx.signal?.aborted) throw new InterruptedError();
    try {
      return await fn(attempt);
    } catch (err) {
      if (!(err instanceof RegistryError) || !err.retryable) throw err;
      const now = Date.now();
      firstFailure ??= now;
      const delay = backoffDelay(attempt, base);
      const overBudget = now - firstFailure + delay + expectedDuration(err) > budget;
      if (attempt >= attempts || overBudget) {
        if (attempt === 1) throw err;
        throw new RegistryError(`${err.message} (gave up after ${attempt} attempts)`, {
          code: err.code,
          hint: err.hint,
          registryCode: err.registryCode,
          status: err.status,
          retryable: true,
          details: err.details,
          cause: err,
        });
      }
      ctx.onRetry?.(err, attempt, delay);
      await sleep(delay, ctx.signal);
    }
  }
}
