// How many units the primary of `conclude run <files>` keeps at one worker.

/**
 * How many more units a worker with these in flight may be sent: at most `depth` being analysed,
 * and as many again whose conclusions are being delivered, so that its pool analyses the next
 * while its producer sends. (Counting all alike kept two units of a worker in step: both
 * analysed at once, then both delivered, while the pool waited.)
 */
export function unitsToSend(inFlight: Iterable<{ analysed?: boolean }>, depth: number): number {
  let total = 0
  let analysing = 0
  for (const e of inFlight) {
    total++
    if (!e.analysed) analysing++
  }
  return Math.max(0, Math.min(depth - analysing, 2 * depth - total))
}
