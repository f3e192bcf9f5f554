// Runs the Python reference stack (scripts/fixtures/python_peer.py) as an optional
// benchmark peer: finds a Python with numpy, scipy, pymannkendall and ruptures
// (pandas optional), runs one category (or all four) on an NDJSON file under a
// time budget, and returns what it measured, or why it was skipped or stopped.
import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = join(import.meta.dirname, '..', '..')
const PYTHON_DIR = join(ROOT, 'scripts', 'fixtures')
const PEER = join(PYTHON_DIR, 'python_peer.py')
const PROBE = join(PYTHON_DIR, 'probe_stack.py')
/** How long checking one interpreter's imports may take. */
const PROBE_TIMEOUT_MS = 60_000

export type PythonCategory = 'summary' | 'anomaly' | 'changepoint' | 'trend' | 'all'

export interface PythonStack {
  python: string
  version: string
  versions: Record<string, string | null>
}

export interface PythonCategoryTiming {
  category: string
  /** Wall time of the analysis loop (no start-up, imports or parsing). */
  seconds: number
  conclusions: number
  /** changepoint only: the Hampel cleaning before PELT, timed apart. */
  cleanSeconds?: number
}

export type PythonPeerResult =
  | { status: 'skipped'; reason: string }
  | {
      /** ok: finished; timeout: stopped at the budget; failed: exited with an error. */
      status: 'ok' | 'timeout' | 'failed'
      stack: PythonStack
      /** Which Hampel implementation ran (pandas rolling apply, or numpy sliding windows). */
      hampel?: string
      parseSeconds?: number
      /** The categories that finished, in order. */
      categories: PythonCategoryTiming[]
      /** Wall time of all the categories run (status ok). */
      seconds?: number
      /** Why it did not finish (status timeout or failed). */
      message?: string
    }

export interface PythonPeerOptions {
  /** NDJSON input. */
  file: string
  category: PythonCategory
  /** Stop the peer after this many seconds (start-up and parsing included). */
  budgetSeconds: number
  anomaly?: { halfWindow?: number; threshold?: number }
  changepoint?: { minSize?: number; jump?: number; penalty?: number; clean?: boolean }
  trend?: { alpha?: number }
  /** The interpreter to use instead of the search of `findPython`. */
  python?: string
}

function probe(python: string): Promise<PythonStack | string> {
  return new Promise((resolve) => {
    execFile(python, [PROBE], { timeout: PROBE_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err) {
        const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (stderr.trim().split('\n').pop() ?? err.message)
        resolve(`${python}: ${why}`)
        return
      }
      try {
        const r = JSON.parse(stdout)
        if (r.missing.length) resolve(`${python} (Python ${r.python}) lacks ${r.missing.join(', ')}`)
        else resolve({ python, version: r.python, versions: r.versions })
      } catch {
        resolve(`${python}: unexpected probe output ${JSON.stringify(stdout.slice(0, 200))}`)
      }
    })
  })
}

/**
 * The Python to use: `python` if given, else `CONCLUDE_PYTHON` if set (and only it), else
 * `<repo>/.venv/bin/python` (made by scripts/make-fixtures.sh or scripts/test.sh from
 * scripts/fixtures/requirements.txt), else `python3`. A string says why none fits.
 */
export async function findPython(python?: string): Promise<PythonStack | string> {
  const env = python ?? process.env.CONCLUDE_PYTHON
  const candidates = env ? [env] : [join(ROOT, '.venv', 'bin', 'python'), 'python3']
  const reasons: string[] = []
  for (const python of candidates) {
    if (python.includes('/') && !existsSync(python)) {
      reasons.push(`${python}: not found`)
      continue
    }
    const r = await probe(python)
    if (typeof r !== 'string') return r
    reasons.push(r)
  }
  return `no Python with numpy, scipy, pymannkendall and ruptures: ${reasons.join('; ')}` +
    (env ? '' : '; set CONCLUDE_PYTHON or run scripts/make-fixtures.sh')
}

function peerArgs(o: PythonPeerOptions): string[] {
  const args = [PEER, '--input', o.file, '--category', o.category]
  const add = (flag: string, v: number | undefined) => v !== undefined && args.push(flag, String(v))
  add('--half-window', o.anomaly?.halfWindow)
  add('--threshold', o.anomaly?.threshold)
  add('--min-size', o.changepoint?.minSize)
  add('--jump', o.changepoint?.jump)
  add('--penalty', o.changepoint?.penalty)
  add('--alpha', o.trend?.alpha)
  if (o.changepoint?.clean === false) args.push('--no-clean')
  return args
}

/** Runs the Python peer; never rejects for a missing Python, a failure or a timeout. */
export async function runPythonPeer(o: PythonPeerOptions): Promise<PythonPeerResult> {
  const stack = await findPython(o.python)
  if (typeof stack === 'string') return { status: 'skipped', reason: stack }

  const child = spawn(stack.python, peerArgs(o), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
  })
  const result: Extract<PythonPeerResult, { status: 'ok' | 'timeout' | 'failed' }> = { status: 'ok', stack, categories: [] }
  let stderr = ''
  let pending = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)))
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    pending += d
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl)
      pending = pending.slice(nl + 1)
      const e = JSON.parse(line)
      if (e.event === 'ready') {
        result.hampel = e.hampel
        result.parseSeconds = e.parseSeconds
        result.stack.versions = { ...result.stack.versions, ...e.versions }
      } else if (e.event === 'category') {
        const { category, seconds, conclusions, cleanSeconds } = e
        result.categories.push({ category, seconds, conclusions, ...(cleanSeconds !== undefined ? { cleanSeconds } : {}) })
      } else if (e.event === 'done') result.seconds = e.seconds
    }
  })

  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, o.budgetSeconds * 1000)
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (c, s) => resolve([c, s]))
  }).finally(() => clearTimeout(timer))

  if (timedOut) {
    const done = result.categories.map((c) => c.category).join(', ') || 'none'
    return { ...result, status: 'timeout', message: `did not finish in ${o.budgetSeconds} s (categories finished: ${done})` }
  }
  if (code !== 0) {
    const last = stderr.trim().split('\n').slice(-3).join(' | ')
    return { ...result, status: 'failed', message: `python_peer exited with ${code ?? signal}: ${last}` }
  }
  return result
}
