/**
 * Ephemeral stores must vanish even when the process is stopped by SIGINT or SIGTERM. While
 * at least one is open, handlers run every registered cleanup synchronously, then re-raise
 * the signal so the process ends with the conventional status (130 / 143) unless the
 * application handles the signal itself.
 */
const cleanups = new Set<() => void>()
const signals = ["SIGINT", "SIGTERM"] as const

const runCleanups = () => {
  for (const cleanup of [...cleanups]) {
    cleanups.delete(cleanup)
    try {
      cleanup()
    } catch {
      // best effort: the process is going away
    }
  }
}

const onSignal = (signal: NodeJS.Signals) => {
  runCleanups()
  uninstall()
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}

const handlers = new Map<NodeJS.Signals, () => void>()

const install = () => {
  for (const signal of signals) {
    const handler = () => onSignal(signal)
    handlers.set(signal, handler)
    process.on(signal, handler)
  }
  process.on("exit", runCleanups)
}

const uninstall = () => {
  for (const [signal, handler] of handlers) process.off(signal, handler)
  handlers.clear()
  process.off("exit", runCleanups)
}

/** Registers a synchronous cleanup; returns its unregistration. */
export const registerSignalCleanup = (cleanup: () => void): (() => void) => {
  if (cleanups.size === 0 && handlers.size === 0) install()
  cleanups.add(cleanup)
  return () => {
    cleanups.delete(cleanup)
    if (cleanups.size === 0) uninstall()
  }
}
