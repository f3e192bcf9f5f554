// `conclude analyze <file|->`: one input of any size in, the AnalysisResult out as JSON.
import { parseArgs } from 'node:util'

import { CATEGORIES, type Category } from '../conclusions.js'
import { stringifyExactTs } from '../exact-ts.js'
import { DEFAULT_MEMORY_BYTES } from '../run/input/budget.js'
import { analyzeStream } from '../stream.js'
import { ANALYSIS_FLAGS, ANALYSIS_HELP, analysisOptions, bytes, UsageError } from './args.js'

export const HELP = `Usage: conclude analyze <file|-> [options]

Analyses one batch (NDJSON or CSV) of any size and prints the result as JSON.
The input is read in bounded memory (partitioned by series into temporary
files); series are listed in order of first appearance when the input fits in
one unit of --memory, else in that order within each partition of series.

${ANALYSIS_HELP}  --memory SIZE              memory to stay near (k/m/g; default 1g)
  --tmp-dir DIR              where temporary files go (default the OS temp folder)
  --pretty                   indent the JSON
`

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...ANALYSIS_FLAGS, pretty: { type: 'boolean', default: false }, memory: { type: 'string' }, 'tmp-dir': { type: 'string' } },
  })
  if (positionals.length !== 1) throw new UsageError(`expected one input file (or - for stdin), got ${positionals.length}`)
  const started = performance.now()
  const path = positionals[0]!
  const result = Object.fromEntries(CATEGORIES.map((c) => [c, [] as object[]])) as Record<Category, object[]>
  const conclusions = analyzeStream(path === '-' ? process.stdin : path, {
    ...analysisOptions(values),
    memory: bytes('memory', values.memory, 256 << 10) ?? DEFAULT_MEMORY_BYTES,
    tmpDir: values['tmp-dir'],
    // Units as large as the memory allows: the fewer, the closer to the input's order.
    unitPoints: Number.MAX_SAFE_INTEGER,
  })
  let next = await conclusions.next()
  for (; !next.done; next = await conclusions.next()) {
    const { category, ...fields } = next.value
    result[category].push(fields)
  }
  const stats = { ...next.value, totalMs: performance.now() - started }
  process.stdout.write(stringifyExactTs({ ...result, stats }, values.pretty ? 2 : undefined) + '\n')
  return 0
}

