#!/usr/bin/env node
// `npm start`: the main job end to end on a real local Kafka broker.
// Starts the broker (scripts/kafka.sh), generates a workload, runs the
// pipeline with several worker processes, reads the topics back, prints what
// arrived per category, and stops the broker it started.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import kafkajs from 'kafkajs'

const { Kafka, logLevel } = kafkajs
const root = join(import.meta.dirname, '..')
const cli = join(root, 'dist', 'cli.js')
const kafkaSh = join(root, 'scripts', 'kafka.sh')
const brokers = process.env.CONCLUDE_BROKERS ?? '127.0.0.1:9092'
const prefix = `demo-${Date.now().toString(36)}.`
const dir = mkdtempSync(join(tmpdir(), 'conclude-demo-'))
const categories = ['summary', 'anomaly', 'changepoint', 'trend']

function step(text) {
  console.log(`\n== ${text}`)
}

function sh(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...options })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`)
}

let startedBroker = false
try {
  if (!process.env.CONCLUDE_BROKERS) {
    // A broker that was already running (another checkout's, a developer's) is used and left
    // running: the demo stops only what it started.
    const running = spawnSync('bash', [kafkaSh, 'status'], { cwd: root, stdio: 'ignore', timeout: 30_000 }).status === 0
    if (running) step('using the local Kafka broker that is already running (scripts/kafka.sh status)')
    else {
      step('starting a local Apache Kafka broker (KRaft, from Maven Central jars)')
      sh('bash', [kafkaSh, 'start'], { timeout: 300_000 })
      startedBroker = true
    }
  }

  step('generating a workload: 3 files x 100 series x 1,440 points (a day of minute data)')
  const files = [0, 1, 2].map((k) => join(dir, `metrics-${k}.ndjson`))
  files.forEach((f, k) =>
    execFileSync(process.execPath, [cli, 'gen', '--series', '100', '--points', '1440', '--seed', String(k + 1), '--out', f]),
  )

  step(`conclude run with 3 workers -> topics ${prefix}{${categories.join(',')}}`)
  sh(process.execPath, [cli, 'run', ...files, '--workers', '3', '--brokers', brokers, '--topic-prefix', prefix, '--unit-points', '48000'], { timeout: 300_000 })

  step('reading the topics back')
  const kafka = new Kafka({ clientId: 'conclude-demo', brokers: brokers.split(','), logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  const counts = {}
  for (const c of categories) {
    const offsets = await admin.fetchTopicOffsets(prefix + c)
    counts[c] = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0)
  }
  await admin.disconnect()
  const consumer = kafka.consumer({ groupId: `${prefix}reader` })
  await consumer.connect()
  const samples = {}
  const pids = new Set()
  for (const c of categories) await consumer.subscribe({ topic: prefix + c, fromBeginning: true })
  const total = Object.values(counts).reduce((a, b) => a + b, 0)
  let seen = 0
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out reading the topics back')), 60_000)
    consumer
      .run({
        eachMessage: async ({ topic, message }) => {
          const c = topic.slice(prefix.length)
          samples[c] ??= message.value.toString()
          pids.add(message.headers['conclude-pid'].toString())
          if (++seen >= total) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
      .catch(reject)
  })
  await consumer.disconnect()
  for (const c of categories) {
    console.log(`${(prefix + c).padEnd(34)} ${String(counts[c]).padStart(7)} messages   e.g. ${samples[c]?.slice(0, 150) ?? '-'}...`)
  }
  console.log(`\nproduced by ${pids.size} worker process(es): pids ${[...pids].join(', ')}`)
} finally {
  if (startedBroker) {
    step('stopping the broker')
    sh('bash', [kafkaSh, 'stop'])
  }
}
