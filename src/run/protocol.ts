// What every worker of `conclude run` and its primary say alike, whatever the
// mode (IPC, 'advanced' serialization so typed arrays travel as binary). Each
// mode's own messages are in ./file/protocol.ts and ./group/protocol.ts.

/** First message to a worker: its mode's config and the engine threads it may use. */
export interface Start<Config> {
  type: 'config'
  config: Config
  /** Engine threads per worker: passed to every analysis call of the worker. */
  threads: number
}

/** Finish what is in flight, release connections, exit 0. */
export interface Drain {
  type: 'drain'
}

/** An error as it crosses the process boundary. */
export interface WireError {
  message: string
  code?: string
}
