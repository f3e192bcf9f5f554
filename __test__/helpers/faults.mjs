// Fault injection for the specs, loaded into `conclude` and every worker it
// forks with `--import` (NODE_OPTIONS; see faultEnv in ./faults.ts). Nothing of
// it is in the product: it patches the seams from outside, off unless a spec
// sets one of the variables below. The spec creates a file and names it in
// the variable, and the first process to delete it (atomic: one wins) acts,
// so a fault lands at an exact point, once.
//
//   CONCLUDE_TEST_EXIT_FILE        a file-mode worker exits (code 9) as its unit's second produce
//                                  request goes out (the 'sending' message with request 2, after the
//                                  first was acknowledged); a group worker exits (code 9) after a
//                                  batch's conclusions were acknowledged, before its offset commit.
//   CONCLUDE_TEST_SLOW_DRAIN_FILE  a worker holds the primary's 'drain', saying so on stderr, until the
//                                  spec creates the file again (its cue that it has acted), 30 s at most.
//   CONCLUDE_TEST_FREEZE_FILE      a group worker stops itself (SIGSTOP) at CONCLUDE_TEST_FREEZE_AT:
//                                  `before-commit` (default), after the transaction's membership check
//                                  passed and before its EndTxn, or `after-commit`, right after EndTxn
//                                  was answered; it says so on stderr first.
//   CONCLUDE_TEST_SUBSCRIBE_FAILS  every consumer's subscribe fails (as a broker refusing it would).
import { existsSync, unlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const env = process.env

/** True once, in the one process that deletes the file named by `env[variable]`. */
function claim(variable) {
  const file = env[variable]
  if (!file) return false
  try {
    unlinkSync(file)
    return true
  } catch {
    return false
  }
}

// The kafkajs the product loads (dist/ resolves it from the package root).
const kafkajs = () => createRequire(join(import.meta.dirname, '..', '..', 'dist', 'cli.js'))('kafkajs')

if (env.CONCLUDE_TEST_EXIT_FILE && process.send) {
  // A file-mode worker: its 'sending' messages say which produce request goes out.
  const send = process.send.bind(process)
  process.send = (message, ...rest) => {
    const sent = send(message, ...rest)
    if (message?.type === 'sending' && message.request === 2 && 'id' in message && claim('CONCLUDE_TEST_EXIT_FILE')) process.exit(9)
    return sent
  }
}

if (env.CONCLUDE_TEST_SLOW_DRAIN_FILE && process.send) {
  const emit = process.emit.bind(process)
  process.emit = (event, ...args) => {
    if (event === 'message' && args[0]?.type === 'drain' && claim('CONCLUDE_TEST_SLOW_DRAIN_FILE')) {
      process.stderr.write(`conclude: worker ${process.pid}: draining slowly (CONCLUDE_TEST_SLOW_DRAIN_FILE)\n`)
      // A fixed delay raced the spec's own event loop (busy with a neighbour's execFileSync in CI):
      // the spec answers by re-creating the file, and the drain goes on once it sees it.
      const giveUp = Date.now() + 30_000
      const poll = setInterval(() => {
        if (!existsSync(env.CONCLUDE_TEST_SLOW_DRAIN_FILE) && Date.now() < giveUp) return
        clearInterval(poll)
        emit(event, ...args)
      }, 20)
      return true
    }
    return emit(event, ...args)
  }
}

if (process.send && (env.CONCLUDE_TEST_EXIT_FILE || env.CONCLUDE_TEST_SUBSCRIBE_FAILS)) {
  const { Kafka } = kafkajs()
  const consumer = Kafka.prototype.consumer
  Kafka.prototype.consumer = function (...args) {
    const c = consumer.apply(this, args)
    const commitOffsets = c.commitOffsets
    c.commitOffsets = (...a) => {
      if (claim('CONCLUDE_TEST_EXIT_FILE')) process.exit(9)
      return commitOffsets(...a)
    }
    if (env.CONCLUDE_TEST_SUBSCRIBE_FAILS) c.subscribe = async () => Promise.reject(new Error('subscribe refused (CONCLUDE_TEST_SUBSCRIBE_FAILS)'))
    return c
  }
}

if (process.send && env.CONCLUDE_TEST_FREEZE_FILE) {
  const at = env.CONCLUDE_TEST_FREEZE_AT ?? 'before-commit'
  const { Kafka } = kafkajs()
  const producer = Kafka.prototype.producer
  Kafka.prototype.producer = function (...args) {
    const p = producer.apply(this, args)
    const transaction = p.transaction
    p.transaction = async (...a) => {
      const txn = await transaction(...a)
      let where = ''
      const { sendOffsets, commit } = txn
      txn.sendOffsets = (offsets) => {
        const [t] = offsets.topics
        const [part] = t.partitions
        // The offset committed is the next one: the batch is the one before it.
        where = `p${part.partition} o${BigInt(part.offset) - 1n}`
        return sendOffsets(offsets)
      }
      const freeze = (when) => {
        if (when !== at || !claim('CONCLUDE_TEST_FREEZE_FILE')) return
        process.stderr.write(`conclude: worker ${process.pid}: frozen ${at} of ${where} (CONCLUDE_TEST_FREEZE_FILE)\n`)
        process.kill(process.pid, 'SIGSTOP')
      }
      txn.commit = async () => {
        freeze('before-commit')
        const r = await commit()
        freeze('after-commit')
        return r
      }
      return txn
    }
    return p
  }
}
