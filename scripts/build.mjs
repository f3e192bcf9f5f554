#!/usr/bin/env node
// `npm run build`: the release addon, then the TypeScript.
//
// On a Linux x64 host the addon is linked with napi-rs's cross toolchain
// (`--use-napi-cross`, gcc against glibc 2.17), which is what the published
// `conclude-linux-x64-gnu` package ships: built here, it runs on old glibc too.
// Elsewhere (macOS, Windows, arm64 hosts) it is a plain host build.
// `CONCLUDE_BUILD_HOST=1` forces the host build; extra arguments go to `napi build`.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

function run(cmd, args) {
  console.log(`> ${cmd} ${args.join(' ')}`)
  const r = spawnSync(cmd, args, { stdio: 'inherit', shell: process.platform === 'win32' })
  if (r.error) throw r.error
  if (r.status !== 0) process.exit(r.status ?? 1)
}

function crossToolchainAvailable() {
  try {
    require.resolve('@napi-rs/cross-toolchain-x64-target-x86_64')
    return true
  } catch {
    return false
  }
}

const napi = [
  'napi', 'build', '--platform', '--release',
  '--manifest-path', 'crate/napi/Cargo.toml', '--output-dir', '.', '--js', 'binding.js',
]
const glibcHost = process.platform === 'linux' && process.report?.getReport().header.glibcVersionRuntime
if (process.arch === 'x64' && glibcHost && !process.env.CONCLUDE_BUILD_HOST && crossToolchainAvailable()) {
  napi.push('--use-napi-cross', '--target', 'x86_64-unknown-linux-gnu')
}
run('npx', [...napi, ...process.argv.slice(2)])
// The TypeScript through build:ts, the one place that empties dist/ first.
run('npm', ['run', 'build:ts'])
