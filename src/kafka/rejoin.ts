// A hook that runs before kafkajs 2.2.4's consumer (re)joins its group.
//
// kafkajs has no "partitions revoked" callback. It waits for the eachBatch
// calls in flight before it rejoins, and nothing else. conclude's group
// worker returns from eachBatch while a partition's last messages are still
// analysed and delivered, so that kafkajs fetches the next messages in the
// meantime (src/run/group/worker.ts). Those deliveries must end, and their
// offsets be committed, before this member gives its partitions up, as
// they would have inside eachBatch. ConsumerGroup.joinAndSync is where every
// join goes through: the first one, a rejoin after a rebalance error, and a
// resync after stale metadata. It is wrapped once per process, so every
// kafkajs consumer of the process runs the hook first.
import consumerGroupModule from 'kafkajs/src/consumer/consumerGroup.js'

type Hook = () => Promise<void>

const INSTALLED = Symbol.for('conclude.kafka.beforeJoin')
let hook: Hook | undefined

/**
 * Runs `before` ahead of every (re)join of this process's kafkajs consumers.
 * `before` must be bounded and must not reject: the join goes on after it either way.
 */
export function beforeGroupJoin(before: Hook): void {
  hook = before
  const proto = consumerGroupModule.prototype as Record<PropertyKey, unknown> & { joinAndSync: (...args: unknown[]) => Promise<unknown> }
  if (proto[INSTALLED]) return
  const joinAndSync = proto.joinAndSync
  proto.joinAndSync = async function (this: unknown, ...args: unknown[]) {
    await hook?.()
    return joinAndSync.apply(this, args)
  }
  proto[INSTALLED] = true
}
