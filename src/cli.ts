#!/usr/bin/env node
// The `conclude` command line.
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'

import { analyze, engineVersion, type AnalyzeOptions } from '../index.js'

const HELP = `conclude ${engineVersion()}: metric batches in, conclusions out

Usage:
  conclude analyze <file|-> [options]   analyse one batch (NDJSON or CSV) and print the result as JSON

Options:
  --format ndjson|csv        input format (default: detected)
  --on-bad-line fail|skip    reject the batch on the first bad line (default) or skip and count
  --categories a,b,...       summary, anomaly, changepoint, trend (default: all)
  --threads N                engine threads (default: CONCLUDE_THREADS or the cores)
  --pretty                   indent the JSON
  -h, --help                 this text
  -v, --version              the version
`

async function readInput(path: string): Promise<Buffer> {
  if (path !== '-') return readFile(path)
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      'on-bad-line': { type: 'string' },
      categories: { type: 'string' },
      threads: { type: 'string' },
      pretty: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'v', default: false },
    },
  })
  if (values.version) {
    process.stdout.write(`${engineVersion()}\n`)
    return 0
  }
  const [command, ...rest] = positionals
  if (values.help || !command) {
    process.stdout.write(HELP)
    return values.help ? 0 : 2
  }
  if (command !== 'analyze') {
    process.stderr.write(`conclude: unknown command '${command}'\n\n${HELP}`)
    return 2
  }
  if (rest.length !== 1) {
    process.stderr.write(`conclude analyze: expected one input file (or - for stdin), got ${rest.length}\n`)
    return 2
  }
  const options: AnalyzeOptions = {}
  if (values.format) options.format = values.format as AnalyzeOptions['format']
  if (values['on-bad-line']) options.onBadLine = values['on-bad-line'] as AnalyzeOptions['onBadLine']
  if (values.categories) options.categories = values.categories.split(',') as AnalyzeOptions['categories']
  if (values.threads) options.threads = Number(values.threads)
  const input = rest[0]!
  const result = await analyze(await readInput(input), options)
  process.stdout.write(JSON.stringify(result, null, values.pretty ? 2 : undefined) + '\n')
  return 0
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: NodeJS.ErrnoException & { line?: number }) => {
    const where = err.code ? `${err.code}: ` : ''
    process.stderr.write(`conclude: ${where}${err.message}\n`)
    process.exitCode = 1
  },
)
