// `npm run bench:group [-- BATCHES]`: only the group-mode steady-state part of the suite
// (bench/sections/group.ts) against the local broker, printed as JSON; 96 batches by default (a second worker joins after the first has begun: the rebalance that follows takes the first dozen or so).
import { groupSteadyState } from './sections/group.js'

const batches = Number(process.argv[2] ?? 96)
const brokers = process.env.CONCLUDE_BROKERS ?? '127.0.0.1:9092'
const result = await groupSteadyState({ brokers, batches, log: (line) => console.error(line) })
console.log(JSON.stringify(result, null, 2))
