// Where the figures came from: machine, versions, git revision, load.
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'

import { engineVersion, poolInfo } from '../../index.js'

const ROOT = join(import.meta.dirname, '..', '..')

function tryRun(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim()
  } catch {
    return undefined
  }
}

function pkgVersion(name: string): string | undefined {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version
  } catch {
    return undefined
  }
}

export function environment() {
  const cpus = os.cpus()
  const status = tryRun('git', ['status', '--porcelain', '--untracked-files=no'])
  return {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus.length,
      availableParallelism: os.availableParallelism(),
      model: cpus[0]?.model,
      memoryGB: +(os.totalmem() / 2 ** 30).toFixed(1),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      loadavg: os.loadavg().map((l) => +l.toFixed(2)),
    },
    versions: {
      node: process.version,
      conclude: engineVersion(),
      rustc: tryRun('rustc', ['-V']),
      tinybench: pkgVersion('tinybench'),
      'simple-statistics': pkgVersion('simple-statistics'),
      'ml-regression-theil-sen': pkgVersion('ml-regression-theil-sen'),
    },
    enginePool: poolInfo(),
    git: { revision: tryRun('git', ['rev-parse', 'HEAD']), dirty: status === undefined ? undefined : status.length > 0 },
  }
}

/** The local broker: used if it answers, else started for the suite and stopped after it. */
export function broker(): { available: boolean; why?: string; stop: () => void } {
  const sh = join(ROOT, 'scripts', 'kafka.sh')
  const status = spawnSync('bash', [sh, 'status'], { encoding: 'utf8', timeout: 30_000 })
  if (status.status === 0) return { available: true, stop: () => {} }
  const start = spawnSync('bash', [sh, 'start'], { encoding: 'utf8', timeout: 180_000 })
  if (start.status !== 0) {
    return { available: false, why: `scripts/kafka.sh start failed: ${(start.stderr || start.stdout || start.error?.message || '').trim().split('\n').pop()}`, stop: () => {} }
  }
  return { available: true, stop: () => void spawnSync('bash', [sh, 'stop'], { timeout: 60_000 }) }
}
