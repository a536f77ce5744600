/**
 * Runs `tick` now, then again `pollMs` after each one ends (never two at once), until the returned stop function is
 * called; a tick in flight at the stop sees `stopped()` turn true. The timer is never the reason the process stays up.
 * `tick` handles its own errors: the gauge pollers log a failed read and keep polling.
 */
export function pollEvery(pollMs: number, tick: (stopped: () => boolean) => Promise<void>): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const isStopped = (): boolean => stopped;
  const run = async (): Promise<void> => {
    await tick(isStopped);
    if (stopped) return;
    timer = setTimeout(() => void run(), pollMs);
    timer.unref();
  };
  void run();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
