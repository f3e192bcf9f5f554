// `npm run bench:group [-- BATCHES]`: only the group-mode steady-state part of the suite
// (bench/sections/group.ts) against the local broker, printed as JSON; 48 batches by default.
import { groupSteadyState } from './sections/group.js'

const batches = Number(process.argv[2] ?? 48)
const brokers = process.env.CONCLUDE_BROKERS ?? '127.0.0.1:9092'
const result = await groupSteadyState({ brokers, batches, log: (line) => console.error(line) })
console.log(JSON.stringify(result, null, 2))
