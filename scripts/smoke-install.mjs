#!/usr/bin/env node
// `npm run test:smoke`: installs the release tarballs the way a user would and uses them.
//
//   1. `scripts/pack.mjs` makes the main and platform tarballs (or --tarballs FILE.json reuses them);
//   2. the main tarball's file list is checked: only compiled JS, types, the loader, README and
//      LICENSE; no Rust sources, tests, fixtures, binaries or build artefacts;
//   3. the shipped binary's highest GLIBC symbol version is reported (it must be <= 2.17);
//   4. a new temporary project installs both tarballs with a PATH that has no cargo, rustc or
//      rustup (proved by trying to run them), then, still without them:
//      CommonJS require, ESM named imports and a TypeScript (nodenext) consumer that type-checks;
//      analyzeNative and analyze on a real batch (golden fixture 'fleet', made by numpy,
//      pymannkendall and ruptures), compared with the fixture; the `conclude` CLI from
//      node_modules/.bin (`analyze`, and `run` with the file sink);
//   5. the loader's clear error on an unsupported platform (process.arch overridden before load).
// Exits non-zero on the first failure, with what failed.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({ options: { tarballs: { type: 'string' }, keep: { type: 'boolean' } } })
const GOLDEN = join(root, '__test__', 'fixtures', 'golden')
const MAX_GLIBC = [2, 17]
const DEADLINE_MS = 300_000

let failures = 0
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`)
  if (!ok) failures++
  return ok
}
function fail(what) {
  check(false, what)
  process.exit(1)
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: DEADLINE_MS, maxBuffer: 256 << 20, ...opts })
  if (r.error) fail(`${cmd} ${args.join(' ')}: ${r.error.message}`)
  if (r.status !== 0 && !opts.allowFail) fail(`${cmd} ${args.join(' ')} exited with ${r.status}\n${r.stdout}\n${r.stderr}`)
  return r
}

// 1. tarballs
const tarballs = values.tarballs
  ? JSON.parse(readFileSync(values.tarballs, 'utf8'))
  : JSON.parse(run(process.execPath, [join(root, 'scripts', 'pack.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] }).stdout.trim().split('\n').pop())
const platformTarball = tarballs.platforms['linux-x64-gnu']
if (!platformTarball) fail(`no linux-x64-gnu tarball in ${JSON.stringify(tarballs)}`)

// 2. what the main package ships
const tarList = (file) => run('tar', ['tzf', file]).stdout.split('\n').filter(Boolean).map((p) => p.replace(/^package\//, ''))
const mainFiles = tarList(tarballs.main)
console.log(`main package (${mainFiles.length} files): ${mainFiles.join(' ')}`)
const allowed = (p) => ['package.json', 'README.md', 'LICENSE', 'index.js', 'binding.js', 'index.d.ts'].includes(p) || /^dist\/.+\.js$/.test(p)
const leaks = mainFiles.filter((p) => !allowed(p))
check(leaks.length === 0, `main package holds only compiled JS, types, loader, README, LICENSE${leaks.length ? `; unexpected: ${leaks.join(', ')}` : ''}`)
const forbidden = mainFiles.filter((p) => /\.(rs|node|ts|tgz|map)$|(^|\/)(__test__|fixtures|crate|src|target|bench|scripts|\.ci)\/|Cargo\.|\.spec\./.test(p) && p !== 'index.d.ts')
check(forbidden.length === 0, `no Rust sources, tests, fixtures or binaries in the main package${forbidden.length ? `: ${forbidden.join(', ')}` : ''}`)
for (const f of ['index.js', 'binding.js', 'index.d.ts', 'dist/cli.js', 'README.md', 'LICENSE']) check(mainFiles.includes(f), `main package has ${f}`)
const platformFiles = tarList(platformTarball)
check(platformFiles.includes('conclude.linux-x64-gnu.node') && platformFiles.every((p) => /^(package\.json|README\.md|LICENSE|conclude\.linux-x64-gnu\.node)$/.test(p)),
  `platform package holds the binary and its manifest: ${platformFiles.join(' ')}`)
const packedBinary = run('tar', ['xzf', platformTarball, '-O', 'package/conclude.linux-x64-gnu.node'], { encoding: 'buffer' }).stdout
const probes = ['panicProbeSync', 'panicProbeAsync', 'deliberate test panic'].filter((m) => packedBinary.includes(m))
check(probes.length === 0, `the packed binary has no test-only panic probe (cargo feature panic-probe)${probes.length ? `: found ${probes.join(', ')}` : ''}`)
const mainManifest = JSON.parse(run('tar', ['xzf', tarballs.main, '-O', 'package/package.json']).stdout)
check(mainManifest.optionalDependencies?.['conclude-linux-x64-gnu'] === mainManifest.version, `optionalDependencies name conclude-linux-x64-gnu@${mainManifest.version}`)
check(!mainManifest.scripts?.install && !mainManifest.scripts?.postinstall && !mainManifest.scripts?.preinstall, 'no install scripts (nothing to approve, nothing compiled on install)')

// 3. glibc needed by the shipped binary
const binary = run('tar', ['xzf', platformTarball, '-O', 'package/conclude.linux-x64-gnu.node'], { encoding: 'buffer' }).stdout
const versions = [...binary.toString('latin1').matchAll(/GLIBC_(\d+)\.(\d+)(?:\.(\d+))?/g)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)])
versions.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2])
const highest = versions.at(-1)
check(highest && (highest[0] < MAX_GLIBC[0] || (highest[0] === MAX_GLIBC[0] && highest[1] <= MAX_GLIBC[1])),
  `highest GLIBC symbol version the binary needs: GLIBC_${highest?.filter((v, i) => i < 2 || v).join('.')} (limit GLIBC_${MAX_GLIBC.join('.')})`)

// 4. a user's project, without a Rust toolchain
const rustTools = ['cargo', 'rustc', 'rustup']
const path = (process.env.PATH ?? '').split(delimiter).filter((d) => d && !rustTools.some((t) => existsSync(join(d, t)))).join(delimiter)
const project = mkdtempSync(join(tmpdir(), 'conclude-smoke-'))
const emptyHome = join(project, '.no-rust')
const env = { ...process.env, PATH: path, CARGO_HOME: emptyHome, RUSTUP_HOME: emptyHome, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' }
for (const k of Object.keys(env)) if (/^(CARGO_|RUSTUP_|RUST|NAPI_RS_)/.test(k) && !['CARGO_HOME', 'RUSTUP_HOME'].includes(k)) delete env[k]
const inProject = { cwd: project, env }
for (const tool of rustTools) {
  const r = spawnSync(tool, ['--version'], { env, encoding: 'utf8' })
  check(r.error?.code === 'ENOENT', `${tool} is absent from the PATH of the install and the run (${r.error?.code ?? `it ran: ${r.stdout.trim()}`})`)
}
try {
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'conclude-smoke', private: true, version: '0.0.0' }, null, 2))
  run('npm', ['install', '--no-audit', '--no-fund', tarballs.main, platformTarball], inProject)
  check(existsSync(join(project, 'node_modules', 'conclude-linux-x64-gnu', 'conclude.linux-x64-gnu.node')), 'npm installed the platform package next to the main package')
  check(!existsSync(join(project, 'node_modules', 'conclude', 'target')) && !readdirSync(join(project, 'node_modules', 'conclude')).some((f) => f.endsWith('.node')), 'nothing was built on install (no target/, no local .node)')

  const batch = join(GOLDEN, 'fleet.ndjson')
  const expected = JSON.parse(readFileSync(join(GOLDEN, 'fleet.expected.json'), 'utf8'))
  writeFileSync(join(project, 'expected.json'), JSON.stringify(expected))

  // CommonJS, sync and async on a real batch, compared with the fixture made by the reference libraries
  writeFileSync(join(project, 'use.cjs'), `
const { analyzeNative, analyze, poolInfo, engineVersion } = require('conclude')
const { readFileSync } = require('node:fs')
const input = readFileSync(${JSON.stringify(batch)})
const expected = JSON.parse(readFileSync('expected.json', 'utf8'))
const close = (a, b) => a === b || (typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)))
function compare(name, got) {
  for (const cat of ['summary', 'anomaly', 'changepoint', 'trend']) {
    if (got[cat].length !== expected[cat].length) throw new Error(name + ': ' + cat + ' has ' + got[cat].length + ' conclusions, expected ' + expected[cat].length)
    got[cat].forEach((c, i) => { for (const [k, v] of Object.entries(expected[cat][i])) if (!close(c[k], v)) throw new Error(name + ': ' + cat + '[' + i + '].' + k + ' = ' + c[k] + ', expected ' + v) })
  }
}
// The fixture holds the reference methods (referenceOptions in bench/baseline/index.ts).
const reference = { anomaly: { method: 'hampel' }, changepoint: { method: 'l2' }, trend: { method: 'original' } }
const sync = analyzeNative(input, reference)
compare('analyzeNative', sync)
analyze(input, reference).then((async) => {
  compare('analyze', async)
  if (JSON.stringify(async.trend) !== JSON.stringify(sync.trend)) throw new Error('analyze and analyzeNative differ')
  console.log(JSON.stringify({ version: engineVersion(), pool: poolInfo(), points: sync.stats.points, counts: ['summary', 'anomaly', 'changepoint', 'trend'].map((c) => sync[c].length) }))
})
`)
  const cjs = run(process.execPath, ['use.cjs'], inProject)
  check(true, `CommonJS require: analyzeNative and analyze match the golden 'fleet' fixture: ${cjs.stdout.trim()}`)

  writeFileSync(join(project, 'use.mjs'), `
import { analyze, analyzeNative } from 'conclude'
import conclude from 'conclude'
import { readFileSync } from 'node:fs'
const r = analyzeNative(readFileSync(${JSON.stringify(batch)}), { categories: ['trend'] })
const a = await analyze(readFileSync(${JSON.stringify(batch)}), { categories: ['trend'] })
if (r.trend.length !== 8 || a.trend.length !== 8 || typeof conclude.analyze !== 'function') throw new Error('ESM import failed')
if (Object.keys(conclude).some((k) => /panic/i.test(k)) || 'splitUnits' in conclude) throw new Error('internals on the public entry')
console.log('esm ok', r.trend.length)
`)
  run(process.execPath, ['use.mjs'], inProject)
  check(true, 'ESM: named and default imports, no internals on the entry')

  // TypeScript consumers: types come from index.d.ts through the package's exports, in ESM and CJS files
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [join(root, 'node_modules', '@types')] }, files: ['consumer.mts', 'consumer.cts'] }))
  const consumer = `
import { analyze, analyzeNative, type AnalysisResult, type AnalyzeOptions } from 'conclude'
const options: AnalyzeOptions = { categories: ['anomaly'], anomaly: { halfWindow: 10 } }
const r: AnalysisResult = analyzeNative(Buffer.from(''), options)
const n: number = r.stats.points
const p: Promise<AnalysisResult> = analyze(new Uint8Array(), options)
// @ts-expect-error the options are typed: an unknown category is rejected
analyzeNative(Buffer.from(''), { categories: ['nope'] })
export { n, p }
`
  writeFileSync(join(project, 'consumer.mts'), consumer)
  writeFileSync(join(project, 'consumer.cts'), consumer)
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], inProject)
  check(true, 'TypeScript (nodenext): an ESM and a CommonJS consumer type-check against the installed index.d.ts')

  // the CLI from node_modules/.bin
  const bin = join(project, 'node_modules', '.bin', 'conclude')
  const analyzed = JSON.parse(run(bin, ['analyze', batch, '--reference'], inProject).stdout)
  check(analyzed.trend.length === expected.trend.length && analyzed.anomaly.length === expected.anomaly.length, `conclude analyze: ${analyzed.anomaly.length} anomalies, ${analyzed.trend.length} trends`)
  const out = join(project, 'out')
  const runReport = join(project, 'report.json')
  run(bin, ['run', batch, '--reference', '--sink', 'file', '--out', out, '--workers', '1', '--no-progress', '--report', runReport], inProject)
  const lines = Object.fromEntries(readdirSync(out).map((f) => [f, readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean).length]))
  const want = Object.fromEntries(['summary', 'anomaly', 'changepoint', 'trend'].map((c) => [`${c}.ndjson`, expected[c].length]))
  check(JSON.stringify(lines, Object.keys(want)) === JSON.stringify(want, Object.keys(want)), `conclude run --sink file: lines per topic ${JSON.stringify(lines)} = conclusions ${JSON.stringify(want)}`)
  const report = JSON.parse(readFileSync(runReport, 'utf8'))
  check(report.units.undelivered.length === 0, 'conclude run: every unit delivered')

  // 5. unsupported platform: the loader's own detection sees another arch
  writeFileSync(join(project, 'riscv.cjs'), "Object.defineProperty(process, 'arch', { value: 'riscv64' })\n")
  const unsupported = run(process.execPath, ['-r', './riscv.cjs', '-e', "try { require('conclude') } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); process.exit(3) }"], { ...inProject, allowFail: true })
  const err = unsupported.status === 3 ? JSON.parse(unsupported.stdout) : {}
  check(err.code === 'ERR_CONCLUDE_NO_BINARY' && err.message.includes('detected: linux-riscv64') && err.message.includes('expected package: conclude-linux-riscv64-gnu (not installed)') && err.message.includes('prebuilt packages: conclude-linux-x64-gnu'),
    `unsupported platform: a clear error\n${(err.message ?? unsupported.stderr).replace(/^/gm, '       ')}`)
} finally {
  if (!values.keep) rmSync(project, { recursive: true, force: true })
  else console.log(`kept ${project}`)
}
console.log(failures ? `${failures} check(s) failed` : 'smoke test passed')
process.exit(failures ? 1 : 0)
