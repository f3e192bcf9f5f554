// The package entry (index.js) around napi-rs's generated loader (binding.js):
// when no binary fits, the error names the detected platform and the package
// that was expected. Each case runs in a child process, so this one keeps its binding.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'

import test from 'ava'

const ROOT = join(import.meta.dirname, '..')
const run = promisify(execFile)

async function loadError(args: string[], env: Record<string, string> = {}) {
  const script = `try { require(${JSON.stringify(ROOT)}); console.log('{}') } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, expectedPackage: e.expectedPackage, cause: !!e.cause })) }`
  const { stdout } = await run(process.execPath, [...args, '-e', script], { env: { ...process.env, ...env }, timeout: 30_000 })
  return JSON.parse(stdout)
}

test('an unsupported architecture, seen by the loader itself, gives a clear error', async (t) => {
  const e = await loadError(['-r', join(ROOT, '__test__', 'helpers', 'fake-arch.cjs')])
  t.is(e.code, 'ERR_CONCLUDE_NO_BINARY')
  t.is(e.expectedPackage, process.platform === 'linux' ? 'conclude-linux-riscv64-gnu' : `conclude-${process.platform}-riscv64`)
  t.regex(e.message, /detected: \w+-riscv64/)
  t.regex(e.message, /expected package: conclude-\S*riscv64\S* \(not installed\)/)
  t.regex(e.message, /Build from source/)
  t.true(e.cause, 'the loader errors stay attached as the cause')
})

test('a broken NAPI_RS_NATIVE_LIBRARY_PATH override is named in the error', async (t) => {
  const e = await loadError([], { NAPI_RS_NATIVE_LIBRARY_PATH: '/nonexistent/conclude.node' })
  t.is(e.code, 'ERR_CONCLUDE_NO_BINARY')
  t.regex(e.message, /NAPI_RS_NATIVE_LIBRARY_PATH=\/nonexistent\/conclude\.node could not be loaded/)
})

test('on this platform the entry loads the binding', async (t) => {
  t.deepEqual(await loadError([]), {})
})

test('the entry exports the binding, and nothing else', async (t) => {
  const script = `const index = Object.keys(require(${JSON.stringify(ROOT)})).sort(); const binding = Object.keys(require(${JSON.stringify(join(ROOT, 'binding.js'))})).sort(); console.log(JSON.stringify({ index, binding }))`
  const { stdout } = await run(process.execPath, ['-e', script], { timeout: 30_000 })
  const { index, binding } = JSON.parse(stdout) as { index: string[]; binding: string[] }
  t.deepEqual(index, binding)
})

test('ESM named imports find every export of the entry', async (t) => {
  const script = `import * as m from ${JSON.stringify(join(ROOT, 'index.js'))}; console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default').sort()))`
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 })
  const cjs = Object.keys((await import('../index.js')).default ?? {}).sort()
  t.deepEqual(JSON.parse(stdout), cjs)
})
