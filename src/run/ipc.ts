// Messages from a primary to its worker processes. A worker can die at any
// moment (a crash, SIGKILL, the drain deadline), and its IPC channel closes
// shortly before its 'exit' event: a plain `child.send` then emits an
// 'error' event (ERR_IPC_CHANNEL_CLOSED), which crashes a primary that has no
// listener for it. The exit handler deals with the dead worker; a send to it
// just does not happen.
import type { ChildProcess } from 'node:child_process'

/**
 * Sends `message` to `child` if its channel is open; never throws and never
 * emits 'error'. Returns false when the message certainly did not go out (the
 * channel was already closed, or the send failed at once), so the caller can
 * act (kill the worker, or count on its exit handler). True means "handed to
 * the channel": `child.send`'s own false (a backlog of unsent messages) is
 * not a failure.
 */
export function sendToWorker(child: ChildProcess, message: unknown): boolean {
  if (!child.connected) return false
  try {
    // With a callback, a failure (the channel closing meanwhile) is passed to it instead of being emitted as 'error'.
    child.send(message as object, () => {})
    return true
  } catch {
    return false
  }
}
