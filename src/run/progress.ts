// Progress of a run on stderr: a live line on a terminal, and a plain line
// every few seconds elsewhere (CI, journald, a file), so a long or a stuck run
// says where it is wherever its output goes.

export type ProgressMode = 'tty' | 'lines' | 'off'

/** Period of the plain progress lines. */
export const PROGRESS_LINE_MS = 5_000
const TTY_MS = 200

/** The mode for a stream: `--no-progress` off, otherwise live on a terminal and lines elsewhere. */
export function progressMode(enabled: boolean, stream: { isTTY?: boolean } = process.stderr): ProgressMode {
  if (!enabled) return 'off'
  return stream.isTTY === true ? 'tty' : 'lines'
}

/** Writes `line()` in the given mode until `stop()`; the timer never keeps the process alive. */
export function progressReporter(mode: ProgressMode, line: () => string, write: (s: string) => void = (s) => void process.stderr.write(s)): { stop(): void } {
  if (mode === 'off') return { stop() {} }
  const tty = mode === 'tty'
  const timer = setInterval(() => write(tty ? `\r\x1b[K ${line()}` : `conclude: progress: ${line()}\n`), tty ? TTY_MS : PROGRESS_LINE_MS)
  timer.unref()
  return {
    stop() {
      clearInterval(timer)
      if (tty) write('\r\x1b[K')
    },
  }
}
