// Runs `conclude` (dist/cli.js) as a child with an outer deadline: a hang fails
// the test instead of hanging it. A `run` also writes its report, read back here.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import { ROOT } from './kafka.js'

export const CLI = join(ROOT, 'dist', 'cli.js')

export interface Ran {
  code: number | null
  signal: NodeJS.Signals | null
  stderr: string
  ms: number
  report: any
}

export interface CliOptions {
  /** Where the report goes (a run only). */
  reportDir: string
  /** Piped to stdin (else stdin is closed at once). */
  stdin?: string
  onSpawn?: (pid: number) => void
  /** Extra environment of the child. */
  env?: Record<string, string>
  /** Called with all of stderr so far on every chunk. */
  onStderr?: (stderr: string, pid: number) => void
}

export function cli(args: string[], deadlineMs: number, o: CliOptions): Promise<Ran> {
  const reportPath = join(o.reportDir, `report-${Date.now()}-${Math.random()}.json`)
  const withReport = args[0] === 'run' ? [...args, '--report', reportPath] : args
  const start = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...withReport], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...o.env } })
    let stderr = ''
    child.stderr.on('data', (d) => {
      stderr += d
      o.onStderr?.(stderr, child.pid!)
    })
    child.stdout.resume()
    child.stdin.end(o.stdin)
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`conclude ${args.join(' ')} did not finish within ${deadlineMs} ms; stderr:\n${stderr}`))
    }, deadlineMs)
    o.onSpawn?.(child.pid!)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      let report: any
      try {
        report = JSON.parse(readFileSync(reportPath, 'utf8'))
      } catch {
        report = undefined
      }
      resolve({ code, signal, stderr, ms: performance.now() - start, report })
    })
  })
}
