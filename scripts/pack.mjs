#!/usr/bin/env node
// `npm run pack:release [-- --artifacts DIR --out DIR]`: the release tarballs, napi-rs v3 style.
//
// In a staging copy of the package (the repository's package.json is never rewritten):
//   1. the main package's files, exactly the list `npm pack` would take from the repo;
//   2. `napi create-npm-dirs` makes npm/<platform>/ for every target that has a binary in
//      --artifacts (default: the repo root, where `npm run build` leaves conclude.<platform>.node;
//      the CI workflow downloads every platform's binary into one folder instead);
//   3. `napi artifacts` moves the binaries into those platform packages;
//   4. `napi prepublish --skip-optional-publish` writes the main package's optionalDependencies;
//   5. `npm pack` of the main package and of each platform package into --out (default .pack/).
// Prints the tarball paths as JSON on the last line of stdout.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import { parseTriple } from '@napi-rs/cli'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({ options: { artifacts: { type: 'string' }, out: { type: 'string' } } })
const artifacts = resolve(values.artifacts ?? root)
const out = resolve(values.out ?? join(root, '.pack'))
const stage = join(out, 'stage')
const napiBin = join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js')

function run(cmd, args, cwd, capture = false) {
  const r = spawnSync(cmd, args, { cwd, stdio: capture ? ['ignore', 'pipe', 'inherit'] : ['ignore', 'inherit', 'inherit'], encoding: 'utf8' })
  if (r.error) throw r.error
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited with ${r.status}`)
  return r.stdout
}
const napi = (args) => run(process.execPath, [napiBin, ...args], stage)
const npmPack = (dir) => JSON.parse(run('npm', ['pack', '--json', '--pack-destination', out], dir, true))[0].filename

rmSync(out, { recursive: true, force: true })
mkdirSync(stage, { recursive: true })

// 1. the files npm would publish from the repository (package.json `files`)
const listed = JSON.parse(run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], root, true))[0].files
for (const { path } of listed) {
  mkdirSync(dirname(join(stage, path)), { recursive: true })
  cpSync(join(root, path), join(stage, path))
}

// 2. only the targets whose binary is present
const pkg = JSON.parse(readFileSync(join(stage, 'package.json'), 'utf8'))
const binaryOf = (t) => `${pkg.napi.binaryName}.${parseTriple(t).platformArchABI}.node`
const built = pkg.napi.targets.filter((t) => existsSync(join(artifacts, binaryOf(t))))
if (!built.length) {
  throw new Error(`no binary in ${artifacts} for any of ${pkg.napi.targets.join(', ')}: run \`npm run build\` first`)
}
pkg.napi.targets = built
writeFileSync(join(stage, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
napi(['create-npm-dirs', '--npm-dir', 'npm'])

// 3. binaries into their packages (napi artifacts reads them from --output-dir)
const artifactsDir = join(stage, 'artifacts')
mkdirSync(artifactsDir)
for (const t of built) cpSync(join(artifacts, binaryOf(t)), join(artifactsDir, binaryOf(t)))
napi(['artifacts', '--output-dir', 'artifacts', '--npm-dir', 'npm'])
rmSync(artifactsDir, { recursive: true })

// 4. optionalDependencies on the platform packages, nothing published
napi(['prepublish', '--npm-dir', 'npm', '--tag-style', 'npm', '--skip-optional-publish'])

// 5. the tarballs
const tarballs = { main: join(out, npmPack(stage)), platforms: {} }
for (const dir of readdirSync(join(stage, 'npm'))) {
  tarballs.platforms[dir] = join(out, npmPack(join(stage, 'npm', dir)))
}
console.log(JSON.stringify(tarballs))
