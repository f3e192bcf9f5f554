// Forked by pool.spec.ts: analyses the batch it is sent and reports its pool.
const { analyzeNative, poolInfo } = require('../../index.js')

process.once('message', (b64) => {
  const result = analyzeNative(Buffer.from(b64, 'base64'))
  process.send({ info: poolInfo(), result }, () => process.exit(0))
})
