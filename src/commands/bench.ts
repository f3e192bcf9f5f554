// `conclude bench`: runs the benchmark suite (bench/run.ts) of a clone of the repository.
// The suite compares against devDependencies (the TypeScript baseline, simple-statistics,
// ml-regression-theil-sen, tinybench) that an installed package does not carry: the
// command exists only where bench/ sits next to the package (see `available`).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = join(__dirname, '..', '..')
const SUITE = join(ROOT, 'bench', 'run.ts')
const REGISTER = join(ROOT, 'node_modules', '@oxc-node', 'core', 'register.mjs')

/** Whether this installation is a clone of the repository (bench/ next to the package): the CLI offers the command only then. */
export function available(): boolean {
  return existsSync(SUITE)
}

export const HELP = `Usage: conclude bench [--quick] [--out DIR] [--budget MS] [--no-broker] [--no-python]

Runs the benchmark suite: the native engine against the TypeScript baseline, the JS
libraries and (when present) the Python references on the standard workloads, the
boundary cost, thread and worker scaling, event-loop delay, broker throughput,
peak memory, and the quality of the conclusions against ground truth. Needs a clone of the repository with its devDependencies (npm ci).
Same as 'npm run bench'. 'conclude bench --help-suite' shows the suite's own options.
`

export async function main(argv: string[]): Promise<number> {
  if (!existsSync(REGISTER)) {
    process.stderr.write(
      `conclude bench: the benchmark suite's devDependencies are missing (${REGISTER}).\n` +
        `Install them in this clone first: npm ci && npm run build && npm run bench\n`,
    )
    return 1
  }
  const args = argv.map((a) => (a === '--help-suite' ? '--help' : a))
  const child = spawn(process.execPath, ['--import', '@oxc-node/core/register', SUITE, ...args], { cwd: ROOT, stdio: 'inherit' })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)))
  })
}
