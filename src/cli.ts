#!/usr/bin/env node
// The `conclude` command line.
import { engineVersion } from '../index.js'
import * as analyze from './commands/analyze.js'
import * as bench from './commands/bench.js'
import { UsageError } from './commands/args.js'
import { errorText } from './error-text.js'
import * as gen from './commands/gen.js'
import * as run from './commands/run.js'

// `bench` needs the repository's bench/ and devDependencies: offered only in a clone, never by the published package.
const COMMANDS: Record<string, { main: (argv: string[]) => Promise<number>; HELP: string }> = { analyze, run, gen, ...(bench.available() ? { bench } : {}) }

const HELP = `conclude ${engineVersion()}: metric batches in, conclusions out

Usage: conclude <command> [options]

Commands:
  run <files...|->     analyse in worker processes and publish to Kafka (or files, stdout)
  analyze <file|->     analyse one batch in this process, print the result as JSON
  gen                  write a seeded synthetic workload
${bench.available() ? '  bench                the benchmark suite (this is a clone of the repository; an installed package has no bench)\n' : ''}
'conclude <command> --help' shows a command's options. 'conclude --version' the version.
`

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === '-v' || name === '--version') {
    process.stdout.write(`${engineVersion()}\n`)
    return 0
  }
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(HELP)
    return name ? 0 : 2
  }
  const command = COMMANDS[name]
  if (!command) {
    process.stderr.write(`conclude: unknown command '${name}'\n\n${HELP}`)
    return 2
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.HELP)
    return 0
  }
  return command.main(rest)
}

// If the event loop runs dry while the command is still unfinished (a bug: nothing left that
// could finish it), Node would exit 0. A supervisor reads 0 as a clean stop: say so and exit 70.
let settled = false
process.on('exit', () => {
  if (settled) return
  process.stderr.write('conclude: internal error: the command stopped before finishing (nothing left to wait for)\n')
  process.exitCode = 70
})

/**
 * Once the command has finished, a handle it leaves behind must not keep the process alive: a
 * kafkajs socket to a broker that accepted the connection and never answered stays open until
 * that broker closes it. Such handles get 2 s, then the process exits with the command's status.
 */
function finished(): void {
  settled = true
  setTimeout(() => process.exit(), 2_000).unref()
}

main(process.argv.slice(2)).then(
  (code) => {
    finished()
    process.exitCode = code
  },
  (err: Error & { code?: string }) => {
    finished()
    const usage = err instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS')
    process.stderr.write(`conclude: ${usage ? err.message : errorText(err)}\n`)
    if (usage) process.stderr.write(`Try 'conclude ${process.argv[2] ?? ''} --help'.\n`)
    process.exitCode = usage ? 2 : 1
  },
)
