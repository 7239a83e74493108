/**
 * The "stop clean" fan-out every multi-write activity uses: at most `concurrency` calls in flight; on the
 * first failure (or a cancellation) no further item is started, and the calls in flight are awaited before
 * the failure is thrown, so no write of the activity lands after the workflow has seen it fail (and may have
 * begun its rollback).
 */
export async function forEachStoppingOnFailure<T>(
  items: readonly T[],
  options: { concurrency: number; startAt?: number; signal?: AbortSignal | undefined },
  write: (item: T, index: number) => Promise<void>
): Promise<void> {
  const { signal } = options;
  let next = options.startAt ?? 0;
  const lanes = Math.max(1, Math.min(Math.floor(options.concurrency) || 1, items.length - next));
  let firstError: unknown;
  const lane = async () => {
    while (firstError === undefined && !signal?.aborted && next < items.length) {
      const index = next++;
      try {
        await write(items[index] as T, index);
      } catch (err) {
        firstError ??= err;
        return;
      }
    }
  };
  // Every lane ends before we answer: the calls in flight finish (or abort) first.
  await Promise.all(Array.from({ length: lanes }, lane));
  if (firstError !== undefined) {
    throw firstError instanceof Error ? firstError : new Error('a write of the fan-out failed');
  }
  if (signal?.aborted) throw new Error('cancelled'); // runActivity reports the cancellation
}
