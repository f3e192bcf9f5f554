// What the shipped CLI is made of: no test hooks in src/, and `conclude bench`
// only where the repository (bench/) is, never in an installed package.
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import test from 'ava'

import { ROOT } from './helpers/kafka.js'

function conclude(cli: string, args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { timeout: 20_000 })
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() }
}

test('no test hooks in the product: nothing in src/ names a test variable or a test-only function', (t) => {
  const files = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))
  t.true(files.length > 20)
  const hooked = files.filter((f) => /CONCLUDE_TEST|ForTest|claimTestFile/.test(readFileSync(join(ROOT, 'src', f), 'utf8')))
  t.deepEqual(hooked, [])
})

test('conclude bench is offered in a clone of the repository', (t) => {
  const cli = join(ROOT, 'dist', 'cli.js')
  t.regex(conclude(cli, ['--help']).stdout, /^ {2}bench /m)
  t.regex(conclude(cli, ['bench', '--help']).stdout, /^Usage: conclude bench/)
})

test('conclude bench is not offered by a package without bench/ (what npm installs)', (t) => {
  // The package as installed: dist/ and the entry files, without bench/ next to them.
  const pkg = mkdtempSync(join(tmpdir(), 'conclude-pkg-'))
  t.teardown(() => rmSync(pkg, { recursive: true, force: true }))
  cpSync(join(ROOT, 'dist'), join(pkg, 'dist'), { recursive: true })
  for (const f of readdirSync(ROOT).filter((f) => /^(index\.js|binding\.js|package\.json|node_modules|.*\.node)$/.test(f))) symlinkSync(join(ROOT, f), join(pkg, f))
  const cli = join(pkg, 'dist', 'cli.js')
  const help = conclude(cli, ['--help'])
  t.is(help.status, 0)
  t.regex(help.stdout, /^ {2}run /m)
  t.notRegex(help.stdout, /bench/)
  const bench = conclude(cli, ['bench'])
  t.is(bench.status, 2)
  t.regex(bench.stderr, /^conclude: unknown command 'bench'/)
})
