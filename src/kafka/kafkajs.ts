// kafkajs as conclude's modules use it: ./grouping.ts first (it must be in Node's module cache
// before kafkajs's producer loads), then kafkajs itself. Import kafkajs's values from here.
import './grouping.js'

export { CompressionTypes, Kafka, logLevel } from 'kafkajs'
