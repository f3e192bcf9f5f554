// One partition's input messages in a group worker, in offset order: each is
// analysed once the one before it is analysed, and delivered (its
// conclusions sent, its offset committed) once the one before it is
// delivered. Analysis runs one message ahead of delivery, so the engine's pool
// works while the previous message's conclusions are acknowledged, and at
// most two messages ahead, so analysed conclusions do not pile up behind a
// slow broker.
//
// The lane outlives the kafkajs eachBatch call that filled it: eachBatch
// returns once the lane is nearly analysed (`analysedDownTo`), kafkajs fetches
// the next messages while the last ones are analysed and delivered, and the
// next batch of the partition queues behind them. Before the member rejoins
// or leaves its group, its lanes are drained (`settled`).

/** What a lane does with its messages. `A`, an analysis's result, is never undefined. */
export interface LaneSteps<M, A> {
  /** Analyses one message. Must not reject (a failure is a result, e.g. a dead letter). */
  analyse(message: M): Promise<A>
  /** Delivers one analysed message: conclusions, then its commit. A rejection stops the lane. */
  deliver(message: M, analysed: A): Promise<void>
  /** Whether a message not started yet may still be (false once stopping, or its batch is stale). */
  live(message: M): boolean
  /** Told of the delivery that failed; later messages of the lane are neither analysed nor delivered. */
  failed(message: M, error: unknown): void
}

export class Lane<M, A> {
  /** Settles once the newest message's analysis is over (or skipped). */
  private analysed: Promise<unknown> = Promise.resolve()
  /** Settles once the newest message's delivery is over (or skipped). */
  private delivered: Promise<void> = Promise.resolve()
  /** The same for the message before the newest. */
  private deliveredBefore: Promise<void> = Promise.resolve()
  /** Messages added whose analysis is not over. */
  private unanalysed = 0
  private waiters: (() => boolean)[] = []
  /** The failure that stopped the lane. */
  stopped?: { message: M; error: unknown }

  constructor(private readonly steps: LaneSteps<M, A>) {}

  /** Queues one message behind the others. */
  add(message: M): void {
    this.unanalysed++
    const runs = () => this.stopped === undefined && this.steps.live(message)
    // Analysis: after the previous analysis, and after the delivery of the one before that.
    const analysed = Promise.all([this.analysed, this.deliveredBefore]).then(() => (runs() ? this.steps.analyse(message) : undefined))
    void analysed.finally(() => {
      this.unanalysed--
      this.wake()
    })
    const delivered = Promise.all([analysed, this.delivered]).then(([a]) => {
      if (a === undefined || !runs()) return
      return this.steps.deliver(message, a).catch((error: unknown) => {
        this.stopped ??= { message, error }
        this.steps.failed(message, error)
        this.wake()
      })
    })
    this.analysed = analysed
    this.deliveredBefore = this.delivered
    this.delivered = delivered
  }

  /** Resolves once at most `n` messages wait for (or are in) analysis, or the lane stopped. */
  analysedDownTo(n: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.unanalysed <= n || this.stopped !== undefined) {
          resolve()
          return true
        }
        return false
      }
      if (!check()) this.waiters.push(check)
    })
  }

  /** Resolves once every message added is delivered or skipped. */
  settled(): Promise<void> {
    return this.delivered
  }

  /** Re-checks the waiters: after each analysis, and when the lane stops. */
  private wake(): void {
    this.waiters = this.waiters.filter((check) => !check())
  }
}
