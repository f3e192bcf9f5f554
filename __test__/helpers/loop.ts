// How late a 5 ms timer fires while some work runs: a blocked event loop shows as a delay
// close to the work's duration.

/** Runs `work` while a 5 ms interval timer measures how late it fires; returns the worst lateness. */
export async function maxLoopDelayDuring(work: () => Promise<unknown> | unknown): Promise<{ delayMs: number; workMs: number }> {
  const period = 5
  let last = performance.now()
  let worst = 0
  const timer = setInterval(() => {
    const now = performance.now()
    worst = Math.max(worst, now - last - period)
    last = now
  }, period)
  // Let the timer settle before the work starts.
  await new Promise((r) => setTimeout(r, 30))
  worst = 0
  const start = performance.now()
  await work()
  const workMs = performance.now() - start
  // One more turn so that a blocked loop's delay is seen by the timer.
  await new Promise((r) => setTimeout(r, 30))
  clearInterval(timer)
  return { delayMs: worst, workMs }
}

/**
 * Starts `run` (an async analysis taking about `fullMs` when left alone) and aborts it after a
 * tenth of that; returns its rejection and how long it took to settle.
 */
export async function abortMidRun(run: (signal: AbortSignal) => Promise<unknown>, fullMs: number): Promise<{ error: any; elapsedMs: number }> {
  const ac = new AbortController()
  const start = performance.now()
  const pending = run(ac.signal)
  setTimeout(() => ac.abort(), Math.max(5, fullMs / 10))
  const error = await pending.then(
    () => undefined,
    (e) => e,
  )
  return { error, elapsedMs: performance.now() - start }
}
