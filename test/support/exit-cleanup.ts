/**
 * Synchronous clean-up when the test process exits without its `stop()` having run (a runner killed
 * mid-run): one `exit` listener for all of them, so that many servers started at once (concurrent
 * e2e scenarios each start a few) do not trip Node's MaxListenersExceededWarning.
 */
const pending = new Set<() => void>();
let listening = false;

function runAll(): void {
  for (const cleanup of [...pending]) {
    try {
      cleanup();
    } catch {
      // The process is exiting: one failed clean-up must not keep the others from running.
    }
  }
}

/** Runs `cleanup` at process exit unless the returned function is called first. */
export function onProcessExit(cleanup: () => void): () => void {
  if (!listening) {
    process.once('exit', runAll);
    listening = true;
  }
  pending.add(cleanup);
  return () => {
    pending.delete(cleanup);
  };
}
