'use strict'
// The package entry. napi-rs's generated loader (binding.js) finds the native
// binary: a local `conclude.<platform>.node`, `NAPI_RS_NATIVE_LIBRARY_PATH`, or
// the platform package (`conclude-linux-x64-gnu`, ...) that npm installed as an
// optional dependency. When none fits, this says what was detected and which
// package was expected, instead of the loader's generic message.
let binding
try {
  binding = require('./binding.js')
} catch (cause) {
  throw noBinaryError(cause)
}

// The API: binding.js's exports, written out (so that ESM's named imports find them).
// The analyses that return conclusions finish here: see `settle` and `settleNow`.
exports.__napiBindingTarget = binding.__napiBindingTarget
exports.analyzeNative = function analyzeNative(input, options) {
  return settleNow(binding.analyzeNative(input, options))
}
exports.analyzeColumnsNative = function analyzeColumnsNative(series, options) {
  return settleNow(binding.analyzeColumnsNative(series, options))
}
exports.analyzeToMessages = binding.analyzeToMessages
exports.analyzeToMessagesNative = binding.analyzeToMessagesNative
exports.spillInput = binding.spillInput
exports.analyzeSpill = binding.analyzeSpill
exports.poolInfo = binding.poolInfo
exports.crc32cNative = binding.crc32cNative
exports.engineVersion = binding.engineVersion
exports.analyze = function analyze(input, options) {
  return settle(binding.analyze(input, options), signalOf(options))
}
exports.analyzeColumns = function analyzeColumns(series, options) {
  return settle(binding.analyzeColumns(series, options), signalOf(options))
}

const CATEGORIES = ['summary', 'anomaly', 'changepoint', 'trend']

function signalOf(options) {
  return options !== null && typeof options === 'object' ? options.signal : undefined
}

// The engine serializes a result as JSON arrays of conclusions (chunks,
// crate/napi/src/deliver.rs), on its pool for the async calls. They are parsed here (V8's
// JSON.parse is several times faster than building the objects through napi). `settle` parses up
// to `turn` conclusions at once, the rest one such portion per event-loop turn, so that timers and
// I/O (the Kafka producer's) run between them; a signal aborted meanwhile rejects with the
// engine's AbortError. `settleNow` (the sync calls, one chunk per category) parses all at once.
async function settle(pending, signal) {
  const prepared = await pending
  const result = emptyResult(prepared)
  const { index, turn } = prepared
  let parsed = 0
  let wide = 0
  for (let chunk = 0; chunk * 4 < index.length; chunk++) {
    const conclusions = index[chunk * 4 + 3]
    if (parsed > 0 && parsed + conclusions > turn) {
      await new Promise((resume) => setImmediate(concludeDeliverChunk, resume))
      if (signal && signal.aborted) throw abortError()
      parsed = 0
    }
    parsed += conclusions
    wide = parseChunk(prepared, chunk, wide, result)
  }
  return result
}

function settleNow(prepared) {
  const result = emptyResult(prepared)
  let wide = 0
  for (let chunk = 0; chunk * 4 < prepared.index.length; chunk++) wide = parseChunk(prepared, chunk, wide, result)
  return result
}

function emptyResult({ stats }) {
  return { summary: [], anomaly: [], changepoint: [], trend: [], stats }
}

// Parses chunk `chunk` into its category's array of `result`. Its timestamps beyond 2^53, which
// the engine wrote as strings of their digits, become bigints: they are `wide`'s entries from
// `w` on ([chunk, conclusion in the chunk, field], in chunk order). Returns the next entry's.
function parseChunk({ text, index, wide, fields }, chunk, w, result) {
  const i = chunk * 4
  const conclusions = JSON.parse(text(index[i + 1], index[i + 2]))
  for (; w < wide.length && wide[w] === chunk; w += 3) {
    const c = conclusions[wide[w + 1]]
    const field = fields[wide[w + 2]]
    c[field] = BigInt(c[field])
  }
  const key = CATEGORIES[index[i]]
  const target = result[key]
  for (const c of conclusions) target.push(c)
  return w
}

// Named: __test__/async.spec.ts counts the turns by it.
function concludeDeliverChunk(resume) {
  resume()
}

// The error the engine rejects with when aborted (`js_error` in crate/napi/src/lib.rs).
function abortError() {
  return Object.assign(new Error('the analysis was aborted'), { name: 'AbortError', code: 'ABORT_ERR' })
}

function libc() {
  if (process.platform !== 'linux') return undefined
  const header = process.report && typeof process.report.getReport === 'function' ? process.report.getReport().header : {}
  return header.glibcVersionRuntime ? { abi: 'gnu', version: `glibc ${header.glibcVersionRuntime}` } : { abi: 'musl', version: 'musl' }
}

// napi-rs's platform package suffix for this process: <platform>-<arch>[-<abi>].
function platformSuffix(c) {
  const { platform, arch } = process
  if (platform === 'win32') return `win32-${arch}-msvc`
  if (platform === 'linux') {
    if (arch === 'arm') return `linux-arm-${c.abi}eabihf`
    return `linux-${arch}-${c.abi}`
  }
  return `${platform}-${arch}`
}

function installed(name) {
  try {
    require.resolve(`${name}/package.json`)
    return true
  } catch {
    return false
  }
}

function causes(e) {
  const out = []
  for (let c = e; c && out.length < 8; c = c.cause) {
    if (c.message && !c.message.startsWith('Cannot find native binding')) out.push(String(c.message).split('\n')[0])
  }
  return out
}

function noBinaryError(cause) {
  const pkg = require('./package.json')
  const c = libc()
  const expected = `${pkg.name}-${platformSuffix(c)}`
  const published = Object.keys(pkg.optionalDependencies || {}).filter((n) => n.startsWith(`${pkg.name}-`))
  const lines = [
    `conclude: no native binary could be loaded for this platform.`,
    `  detected: ${process.platform}-${process.arch}${c ? ` (${c.version})` : ''}, Node.js ${process.version}`,
    `  expected package: ${expected} (${installed(expected) ? 'installed, but it failed to load' : 'not installed'})`,
    `  prebuilt packages: ${published.length ? published.join(', ') : `none listed in this copy of ${pkg.name}`}`,
  ]
  if (process.env.NAPI_RS_NATIVE_LIBRARY_PATH) {
    lines.push(`  NAPI_RS_NATIVE_LIBRARY_PATH=${process.env.NAPI_RS_NATIVE_LIBRARY_PATH} could not be loaded`)
  }
  for (const m of causes(cause)) lines.push(`  - ${m}`)
  lines.push(
    published.includes(expected)
      ? `Reinstall without --omit=optional / --no-optional (and see npm/cli#4828 if a lockfile came from another platform).`
      : `Build from source (needs a Rust toolchain): clone the repository, then npm ci && npm run build.`,
  )
  const error = new Error(lines.join('\n'))
  error.code = 'ERR_CONCLUDE_NO_BINARY'
  error.platform = process.platform
  error.arch = process.arch
  error.expectedPackage = expected
  error.cause = cause
  return error
}
