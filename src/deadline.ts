// Every wait has a deadline: a helper that races work against a timer and
// says, on expiry, which operation on which target ran out of time.

export class DeadlineError extends Error {
  readonly code = 'ERR_CONCLUDE_TIMEOUT'
  constructor(
    readonly operation: string,
    readonly target: string,
    readonly ms: number,
  ) {
    super(`${operation} ${target} did not finish within ${ms} ms`)
    this.name = 'DeadlineError'
  }
}

/**
 * Runs `work` and rejects with a DeadlineError after `ms`. The work is told
 * through `signal` that nobody waits for it any more (it should stop, but the
 * caller does not depend on it). The timer never keeps the process alive.
 */
export async function withDeadline<T>(
  operation: string,
  target: string,
  ms: number,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new DeadlineError(operation, target, ms)
      controller.abort(err)
      reject(err)
    }, ms)
    timer.unref()
  })
  try {
    return await Promise.race([work(controller.signal), expired])
  } finally {
    clearTimeout(timer)
  }
}
