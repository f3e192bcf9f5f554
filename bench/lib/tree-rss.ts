// Peak RSS of a process tree: the sum over the process and all its descendants
// of each one's VmHWM (Linux /proc), polled until the root exits. A process
// seen once keeps its last VmHWM, so short-lived workers are counted too.
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

export interface TreeRun {
  code: number | null
  ms: number
  /** Sum of the processes' peak RSS, bytes. */
  peakRssBytes: number
  /** Sum of the processes' CPU time (user + system) as last seen, ms: up to one poll of each is missed. */
  cpuMs: number
  processes: number
  stderr: string
}

function children(): Map<number, number[]> {
  const byParent = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const list = byParent.get(ppid) ?? []
      list.push(Number(name))
      byParent.set(ppid, list)
    } catch {}
  }
  return byParent
}

/** utime + stime of `pid`, ms (USER_HZ is 100 on Linux); undefined where /proc has no such process. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return undefined
  }
}

function hwm(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

/**
 * Runs `cmd args` and measures its wall time and the tree's peak RSS (polled every `everyMs`).
 * A run still going after `timeoutMs` is killed (SIGKILL; `code` is then null).
 */
export function runTree(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, everyMs = 50, timeoutMs = 1_800_000): Promise<TreeRun> {
  return new Promise((resolve) => {
    const started = performance.now()
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const peaks = new Map<number, number>()
    const cpus = new Map<number, number>()
    const poll = () => {
      const tree = children()
      const stack = [child.pid!]
      while (stack.length) {
        const pid = stack.pop()!
        const h = hwm(pid)
        if (h !== undefined) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, h))
        const c = processCpuMs(pid)
        if (c !== undefined) cpus.set(pid, Math.max(cpus.get(pid) ?? 0, c))
        stack.push(...(tree.get(pid) ?? []))
      }
    }
    const timer = setInterval(poll, everyMs)
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('exit', (code) => {
      clearInterval(timer)
      clearTimeout(killer)
      const peakRssBytes = [...peaks.values()].reduce((a, b) => a + b, 0)
      const cpuMs = [...cpus.values()].reduce((a, b) => a + b, 0)
      resolve({ code, ms: performance.now() - started, peakRssBytes, cpuMs, processes: peaks.size, stderr })
    })
  })
}

// `node --import @oxc-node/core/register bench/lib/tree-rss.ts -- cmd args...`: one measurement, as JSON.
if (process.argv[1]?.endsWith('tree-rss.ts') && process.argv.includes('--')) {
  const rest = process.argv.slice(process.argv.indexOf('--') + 1)
  void runTree(rest[0]!, rest.slice(1)).then((r) => {
    console.log(JSON.stringify({ code: r.code, s: +(r.ms / 1000).toFixed(2), peakRssMB: Math.round(r.peakRssBytes / 2 ** 20), cpuS: +(r.cpuMs / 1000).toFixed(2), processes: r.processes }))
    if (r.code !== 0) console.error(r.stderr.slice(-2000))
  })
}
