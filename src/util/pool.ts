/**
 * Runs `work` over `items` with bounded concurrency: at most `limit` slots busy, an item taking `weight(item)`
 * slots (clamped to 1..limit), in input order. The first failure stops new items from starting; the ones
 * already running are awaited (so nothing is left writing in the background) and the first error is rethrown.
 */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
  weight: (item: T) => number = () => 1,
): Promise<void> {
  const max = Math.max(1, Math.floor(limit));
  let busy = 0;
  let next = 0;
  let failure: { error: unknown } | undefined;
  const running = new Set<Promise<void>>();
  let wake: (() => void) | undefined;
  while (next < items.length && !failure) {
    const item = items[next] as T;
    const w = Math.min(max, Math.max(1, Math.floor(weight(item))));
    if (busy + w > max) {
      await new Promise<void>((resolve) => (wake = resolve));
      continue;
    }
    next += 1;
    busy += w;
    const task: Promise<void> = work(item)
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => {
        busy -= w;
        running.delete(task);
        wake?.();
        wake = undefined;
      });
    running.add(task);
  }
  await Promise.all(running);
  if (failure) throw failure.error;
}
