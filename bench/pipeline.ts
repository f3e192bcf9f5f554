// `npm run bench:pipeline [-- --quick] [-- --no-big]`: only the pipeline section of the suite
// (bench/sections/pipeline.ts) against the local broker, printed as JSON.
import { parseArgs } from 'node:util'

import { pipelineSection } from './sections/pipeline.js'

const { values: v } = parseArgs({ options: { quick: { type: 'boolean', default: false }, 'no-big': { type: 'boolean', default: false } } })
const brokers = process.env.CONCLUDE_BROKERS ?? '127.0.0.1:9092'
const result = await pipelineSection({ quick: v.quick, brokers, big: !v['no-big'], log: (line) => console.error(line) })
console.log(JSON.stringify(result, null, 2))
