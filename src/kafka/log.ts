// kafkajs's own log: silent, unless NODE_DEBUG names `kafkajs` (e.g.
// NODE_DEBUG=conclude,kafkajs); then its INFO and above go to stderr through
// util.debuglog, like conclude's own debug lines. Every kafkajs client conclude
// creates takes these settings.
import { debuglog } from 'node:util'

import type { KafkaConfig } from 'kafkajs'

import { logLevel } from './kafkajs.js'

const debug = debuglog('kafkajs')

export const KAFKA_LOG: Pick<KafkaConfig, 'logLevel' | 'logCreator'> = {
  logLevel: debug.enabled ? logLevel.INFO : logLevel.NOTHING,
  logCreator:
    () =>
    ({ namespace, label, log }) => {
      const { message, timestamp, logger, ...rest } = log
      debug('%s %s %s %j', label, namespace, message, rest)
    },
}
