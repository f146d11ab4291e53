/**
 * `work`, or, as soon as `signal` aborts (at once if it already has), a rejection with the
 * signal's reason, so the caller can tell its own interruption from a failure of the work. The
 * work itself is not cancelled: it goes on, and its own failure is then ignored here.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
