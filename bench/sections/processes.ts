// Measurements that need processes of their own: the engine over 1 and 2 threads, the whole
// `conclude run` pipeline over workers x threads (file sink), conclusions per second
// acknowledged by the local broker, and peak RSS per workload.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { analyzeNative } from '../../index.js'
import { median, type Timing } from '../lib/measure.js'
import type { Workload } from '../lib/workloads.js'

const ROOT = join(import.meta.dirname, '..', '..')
const CLI = join(ROOT, 'dist', 'cli.js')

export interface ThreadRow {
  workload: string
  threads: number
  timing: Timing
}

export async function threads(w: Workload, s: { minRuns: number; timeMs: number }): Promise<ThreadRow[]> {
  const rows: ThreadRow[] = []
  for (const t of [1, 2]) {
    rows.push({ workload: w.name, threads: t, timing: await median(`threads ${t}`, () => analyzeNative(w.data, { threads: t }), s) })
  }
  return rows
}

export interface PipelineRow {
  workload: string
  sink: 'file' | 'kafka'
  workers: number
  threads: number
  ms?: number
  conclusions?: number
  conclusionsPerSecond?: number
  skipped?: string
}

/** One `conclude run` in a child process; its own report gives the figures. */
export function pipeline(w: Workload, sink: 'file' | 'kafka', workers: number, threadsPerWorker: number, extra: string[] = []): PipelineRow {
  const dir = mkdtempSync(join(tmpdir(), 'conclude-bench-run-'))
  const report = join(dir, 'report.json')
  const args = [CLI, 'run', w.file, '--workers', String(workers), '--threads', String(threadsPerWorker), '--no-progress', '--report', report, '--unit-points', '50000']
  if (sink === 'file') args.push('--sink', 'file', '--out', join(dir, 'out'))
  else args.push('--sink', 'kafka', ...extra)
  try {
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 600_000 })
    if (r.error) return { workload: w.name, sink, workers, threads: threadsPerWorker, skipped: r.error.message }
    if (r.status !== 0) return { workload: w.name, sink, workers, threads: threadsPerWorker, skipped: `exit ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ')}` }
    const rep = JSON.parse(readFileSync(report, 'utf8'))
    const conclusions = Object.values(rep.conclusions as Record<string, number>).reduce((a, b) => a + b, 0)
    return { workload: w.name, sink, workers, threads: threadsPerWorker, ms: rep.elapsedMs, conclusions, conclusionsPerSecond: rep.conclusionsPerSecond }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export interface MemoryRow {
  workload: string
  what: string
  peakRssMB?: number
  ms?: number
  skipped?: string
}

/**
 * Peak RSS of a fresh Node process that loads the addon, reads the workload and analyses it.
 * Read from /proc/self/status (VmHWM) where there is one: on Linux, getrusage's maxrss survives
 * execve, so a child forked from this big process would report this process's peak.
 */
export function peakRss(w: Workload | undefined, what: 'node alone' | 'analyzeNative, all four'): MemoryRow {
  const peak = `(() => { try { const m = /VmHWM:\\s+(\\d+) kB/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8')); if (m) return Number(m[1]) } catch {} return process.resourceUsage().maxRSS })()`
  const script = w
    ? `const { analyzeNative } = require(${JSON.stringify(join(ROOT, 'index.js'))});
       const buf = require('node:fs').readFileSync(${JSON.stringify(w.file)});
       const t = performance.now(); const r = analyzeNative(buf); const ms = performance.now() - t;
       console.log(JSON.stringify({ rss: ${peak}, ms, n: r.stats.points }))`
    : `console.log(JSON.stringify({ rss: ${peak} }))`
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 300_000 })
  const name = w?.name ?? '-'
  if (r.status !== 0) return { workload: name, what, skipped: (r.error?.message ?? r.stderr).trim().split('\n').pop() }
  const out = JSON.parse(r.stdout)
  return { workload: name, what, peakRssMB: out.rss / 1024, ms: out.ms }
}
