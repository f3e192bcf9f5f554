// What every worker process of `conclude run` does alike: it waits for its
// start message, tells its primary what happens, carries errors across the
// process boundary, leaves the shutdown to the primary (a terminal's Ctrl-C
// reaches the whole process group, and the primary answers it by draining its
// workers) and drains by itself when the primary goes away.
import type { Start, WireError } from './protocol.js'

/** The error as it crosses to the primary: message and code. */
export function wire(e: unknown): WireError {
  const err = e as { message?: string; code?: string }
  return { message: err?.message ?? String(e), code: err?.code }
}

/** Sends `message` to the primary while it is connected (a message to a primary that is gone is dropped). */
export function tellPrimary(message: object): void {
  if (process.connected) process.send?.(message)
}

/** Sends the worker's last message and exits with `code` once it is out (at once without a channel). */
export function exitAfter(message: object, code: number): void {
  if (process.send && process.connected) process.send(message, () => process.exit(code))
  else process.exit(code)
}

export interface WorkerHandlers<Config, Message> {
  /** The start message: the mode's config and the engine threads. */
  start(config: Config, threads: number): void
  /** A 'drain' from the primary, or the primary gone: finish what is in flight and exit. */
  drain(): void
  /** Every other message of the mode. */
  message(m: Message): void
  /** Signals the primary coordinates, ignored here: SIGINT always, SIGTERM where the mode says so. */
  ignore: NodeJS.Signals[]
}

/** Serves the primary's messages; call once, at the top of a worker script. */
export function serveWorker<Config, Message extends { type: string }>(h: WorkerHandlers<Config, Message>): void {
  process.on('message', (m: Start<Config> | { type: 'drain' } | Message) => {
    if (m.type === 'config') {
      const start = m as Start<Config>
      h.start(start.config, start.threads)
    } else if (m.type === 'drain') h.drain()
    else h.message(m as Message)
  })
  for (const signal of new Set<NodeJS.Signals>(['SIGINT', ...h.ignore])) process.on(signal, () => {})
  process.on('disconnect', () => h.drain())
}
