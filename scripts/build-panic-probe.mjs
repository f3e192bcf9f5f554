#!/usr/bin/env node
// `npm run build:panic-probe` (run by scripts/test.sh): a test-only addon with the `panic-probe`
// feature (crate/napi/src/panic_probe.rs), for __test__/panic-guard.spec.ts. It is built apart
// from the shipped addon: the test-opt profile (the one `cargo test` has compiled the engine in,
// so only the thin napi crate is rebuilt), copied to target/panic-probe/, which no loader looks
// in and package.json's `files` leaves out.
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const args = ['build', '-p', 'conclude-napi', '--profile', 'test-opt', '--features', 'panic-probe']
console.log(`> cargo ${args.join(' ')}`)
const r = spawnSync('cargo', args, { cwd: root, stdio: 'inherit' })
if (r.error) throw r.error
if (r.status !== 0) process.exit(r.status ?? 1)

const built = { darwin: 'libconclude_napi.dylib', win32: 'conclude_napi.dll' }[process.platform] ?? 'libconclude_napi.so'
const out = join(root, 'target', 'panic-probe')
mkdirSync(out, { recursive: true })
// Copied at once: the next plain `cargo test` rebuilds the same file without the feature.
copyFileSync(join(root, 'target', 'test-opt', built), join(out, 'conclude-panic-probe.node'))
console.log(`panic probe: ${join(out, 'conclude-panic-probe.node')}`)
