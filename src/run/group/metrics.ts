// Prometheus metrics of `conclude run --source kafka`: each worker counts in
// its own registry; the primary asks every worker for its registry as JSON,
// merges them (prom-client's AggregatorRegistry.aggregate: counters, gauges
// and histograms are summed) with its own, and serves the result, together
// with a readiness and a liveness endpoint for orchestrators.
import { createServer, type Server } from 'node:http'

import { AggregatorRegistry, Counter, Gauge, Histogram, Registry } from 'prom-client'

/** What a consumer-group worker counts. */
export function workerMetrics() {
  const registry = new Registry()
  const registers = [registry]
  return {
    registry,
    batches: new Counter({
      name: 'conclude_batches_total',
      help: 'Input messages (batches) finished: conclusions acknowledged (or dead-lettered) and offset committed',
      labelNames: ['outcome'] as const,
      registers,
    }),
    conclusions: new Counter({
      name: 'conclude_conclusions_total',
      help: 'Conclusions acknowledged by the brokers, by category',
      labelNames: ['category'] as const,
      registers,
    }),
    deadLetters: new Counter({ name: 'conclude_dead_letters_total', help: 'Input messages sent to the dead-letter topic', registers }),
    errors: new Counter({
      name: 'conclude_errors_total',
      help: 'Errors by kind: parse (bad input, dead-lettered), size (a conclusion over max.message.bytes, dead-lettered), deliver, commit, transaction, rebalance, consumer',
      labelNames: ['kind'] as const,
      registers,
    }),
    lag: new Gauge({
      name: 'conclude_consumer_lag',
      help: "Messages behind the partition's high watermark, per assigned input partition (as of the last batch)",
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    assigned: new Gauge({ name: 'conclude_assigned_partitions', help: 'Input partitions assigned to the workers', registers }),
    seconds: new Histogram({
      name: 'conclude_batch_duration_seconds',
      help: 'Time from a batch handed to the analysis to its offset committed',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  }
}

export type WorkerMetrics = ReturnType<typeof workerMetrics>

/** What the primary counts itself. */
export function primaryMetrics() {
  const registry = new Registry()
  const registers = [registry]
  return {
    registry,
    workers: new Gauge({ name: 'conclude_workers', help: 'Worker processes alive', registers }),
    joined: new Gauge({ name: 'conclude_workers_joined', help: 'Worker processes whose consumer is in the group', registers }),
    restarts: new Counter({ name: 'conclude_worker_restarts_total', help: 'Worker processes started again after one exited', registers }),
    ready: new Gauge({ name: 'conclude_ready', help: '1 when every worker has joined the group and the instance is not draining', registers }),
  }
}

export interface MetricsServerOptions {
  port: number
  host?: string
  /** Every live worker's registry as JSON (the primary asks them over IPC, with a deadline). */
  collect: () => Promise<object[][]>
  primary: Registry
  ready: () => boolean
}

/** Serves `/metrics`, `/ready` (200 or 503) and `/healthz`; resolves once listening. */
export async function serveMetrics(o: MetricsServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/metrics') {
      o.collect()
        .then(async (workers) => {
          const merged = AggregatorRegistry.aggregate([...workers, await o.primary.getMetricsAsJSON()])
          res.writeHead(200, { 'content-type': merged.contentType })
          res.end(await merged.metrics())
        })
        .catch((e: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' })
          res.end(`metrics failed: ${e.message}\n`)
        })
    } else if (path === '/ready') {
      const ok = o.ready()
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' })
      res.end(ok ? 'ready\n' : 'not ready\n')
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end('ok\n')
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' })
      res.end('not found: try /metrics, /ready, /healthz\n')
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(o.port, o.host ?? '0.0.0.0', () => {
      server.off('error', reject)
      resolve()
    })
  })
  return server
}
