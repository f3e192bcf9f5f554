// `conclude analyze <file|->`: one batch in, the AnalysisResult out as JSON.
import { readFile, stat } from 'node:fs/promises'
import { parseArgs } from 'node:util'

import { analyze } from '../../index.js'
import { ANALYSIS_FLAGS, ANALYSIS_HELP, analysisOptions, UsageError } from './args.js'

export const HELP = `Usage: conclude analyze <file|-> [options]

Analyses one batch (NDJSON or CSV) and prints the result as JSON.

${ANALYSIS_HELP}  --pretty                   indent the JSON
`

/** An input larger than one Buffer can hold (Node: 2 GiB). */
export class InputTooLargeError extends Error {
  readonly code = 'ERR_CONCLUDE_INPUT_TOO_LARGE'
  constructor(readonly path: string, readonly bytes: number) {
    super(
      `${path} is ${bytes} bytes (${(bytes / 2 ** 30).toFixed(2)} GiB): conclude analyze reads its input whole, and Node holds at most 2 GiB in one buffer; ` +
        `split the file (whole series per file) and analyse the parts`,
    )
    this.name = 'InputTooLargeError'
  }
}

export async function readInput(path: string): Promise<Buffer> {
  if (path !== '-') {
    return readFile(path).catch(async (e: NodeJS.ErrnoException) => {
      if (e?.code !== 'ERR_FS_FILE_TOO_LARGE') throw e
      throw new InputTooLargeError(path, (await stat(path)).size)
    })
  }
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...ANALYSIS_FLAGS, pretty: { type: 'boolean', default: false } },
  })
  if (positionals.length !== 1) throw new UsageError(`expected one input file (or - for stdin), got ${positionals.length}`)
  const result = await analyze(await readInput(positionals[0]!), analysisOptions(values))
  process.stdout.write(JSON.stringify(result, null, values.pretty ? 2 : undefined) + '\n')
  return 0
}
