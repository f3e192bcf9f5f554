// kafkajs internals that src/kafka/read-committed.ts patches (kafkajs ships no types for them).
declare module 'kafkajs/src/*' {
  const m: any
  export default m
}
