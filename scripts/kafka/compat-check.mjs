#!/usr/bin/env node
// kafkajs <-> local broker compatibility check (conclude, scripts/kafka/compat-check.mjs).
//
// Needs a running broker (scripts/kafka.sh start) and kafkajs resolvable from this file's
// location (the project's node_modules, or a scratch dir with `npm i kafkajs@2.2.4`).
//
//   node scripts/kafka/compat-check.mjs            # broker at 127.0.0.1:${KAFKA_PORT:-9092}
//   KAFKA_BROKERS=127.0.0.1:19092 node scripts/kafka/compat-check.mjs
//
// Each step prints PASS or FAIL with the error (name, type, message); the last line is
// "compat-check: N passed, N failed" and the exit code is 0 only if nothing failed.
// Topics and groups carry a per-run suffix, so the check can be re-run on the same broker.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import net from 'node:net';

// resolve kafkajs from the current directory first (a scratch dir), then from this file
function loadKafkajs() {
  for (const base of [path.join(process.cwd(), 'noop.js'), new URL(import.meta.url).pathname]) {
    try {
      return createRequire(pathToFileURL(base))('kafkajs');
    } catch { /* next */ }
  }
  throw new Error('kafkajs not found: run from a directory where `npm i kafkajs` was done, or from the project');
}
const kafkajs = loadKafkajs();
function requireFromKafkajs(id) {
  for (const base of [path.join(process.cwd(), 'noop.js'), new URL(import.meta.url).pathname]) {
    try { return createRequire(pathToFileURL(base))(id); } catch { /* next */ }
  }
  return undefined;
}
const { Kafka, logLevel, CompressionTypes } = kafkajs;
const kafkajsVersion = requireFromKafkajs('kafkajs/package.json')?.version ?? '?';

// ApiVersions v0 over a raw socket: { apiKey: [min, max] } as the broker advertises them
function brokerApiVersions(hostPort) {
  const [host, port] = [hostPort.slice(0, hostPort.lastIndexOf(':')), Number(hostPort.slice(hostPort.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('ApiVersions: no answer in 5 s')); }, 5000);
    const clientId = Buffer.from('compat-check');
    const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
    body.writeInt16BE(18, 0); body.writeInt16BE(0, 2); body.writeInt32BE(1, 4);
    body.writeInt16BE(clientId.length, 8); clientId.copy(body, 10);
    const size = Buffer.alloc(4); size.writeInt32BE(body.length);
    let buf = Buffer.alloc(0);
    sock.on('connect', () => sock.write(Buffer.concat([size, body])));
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
      clearTimeout(timer); sock.destroy();
      const err = buf.readInt16BE(8);
      if (err !== 0) return reject(new Error(`ApiVersions error code ${err}`));
      const n = buf.readInt32BE(10); const out = {};
      for (let i = 0, o = 14; i < n; i++, o += 6) out[buf.readInt16BE(o)] = [buf.readInt16BE(o + 2), buf.readInt16BE(o + 4)];
      resolve(out);
    });
  });
}

const brokers = (process.env.KAFKA_BROKERS || `127.0.0.1:${process.env.KAFKA_PORT || 9092}`).split(',');
const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const T = {
  plain: `compat-plain-${run}`,       // 3 partitions, idempotent producer, group consume
  batch: `compat-batch-${run}`,       // sendBatch target, gzip
  auto: `compat-auto-${run}`,         // never created: auto-created by the producer's metadata request
  input: `compat-in-${run}`,          // offsets of this topic are committed inside transactions
  txn: `compat-txn-${run}`,           // 1 partition: committed / aborted / committed
};
const GROUP = `compat-group-${run}`;
const TXN_GROUP = `compat-txn-group-${run}`;
const N = 30;

const warnings = [];
let currentStep = 'setup';
const logCreator = () => ({ namespace, level, log }) => {
  if (level <= logLevel.WARN) {
    const { message, error } = log;
    warnings.push(`[${currentStep}] ${namespace || 'kafkajs'}: ${message}${error ? ` (${error})` : ''}`);
  }
};
const kafka = new Kafka({
  clientId: 'conclude-compat-check',
  brokers,
  logLevel: logLevel.WARN,
  logCreator,
  retry: { retries: 5 },
});

const results = [];
function describeError(e) {
  if (!e) return String(e);
  const parts = [e.name, e.type, e.code !== undefined ? `code ${e.code}` : undefined, e.message].filter(Boolean);
  let s = parts.join(' | ');
  if (e.originalError && e.originalError !== e) s += ` <- ${describeError(e.originalError)}`;
  else if (e.cause) s += ` <- ${describeError(e.cause)}`;
  return s;
}
async function step(name, fn) {
  const t0 = Date.now();
  currentStep = name;
  try {
    const detail = await fn();
    results.push({ name, ok: true });
    console.log(`PASS ${name} (${Date.now() - t0} ms)${detail ? `: ${detail}` : ''}`);
    return true;
  } catch (e) {
    results.push({ name, ok: false, error: describeError(e) });
    console.log(`FAIL ${name} (${Date.now() - t0} ms): ${describeError(e)}`);
    return false;
  }
}
function assert(cond, msg) { if (!cond) throw new Error(`assertion failed: ${msg}`); }
const withDeadline = (p, ms, what) => Promise.race([
  p, new Promise((_, rej) => setTimeout(() => rej(new Error(`${what}: no answer in ${ms} ms`)), ms).unref()),
]);

// consume `topic` from the beginning until `until(messages)` or timeout; returns the messages
async function consumeUntil({ groupId, topic, until, timeoutMs = 30000, readUncommitted = false, autoCommit = true, onMessage }) {
  const consumer = kafka.consumer({ groupId, readUncommitted, maxWaitTimeInMs: 200 });
  const got = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timeout after ${timeoutMs} ms with ${got.length} messages`)), timeoutMs);
      consumer.run({
        autoCommit,
        eachMessage: async ({ topic: t, partition, message }) => {
          got.push({ topic: t, partition, offset: message.offset, key: message.key?.toString(), value: message.value?.toString() });
          if (onMessage) await onMessage(consumer, { topic: t, partition, message });
          if (until(got)) { clearTimeout(timer); resolve(); }
        },
      }).catch(reject);
    });
  } finally {
    await withDeadline(consumer.disconnect(), 15000, 'consumer.disconnect').catch((e) => warnings.push(String(e)));
  }
  return got;
}

const admin = kafka.admin();
let idem, txp;

try {
  await step('admin connect + describeCluster', async () => {
    await admin.connect();
    const c = await admin.describeCluster();
    assert(c.brokers.length >= 1, 'at least one broker');
    return `brokers ${c.brokers.map((b) => `${b.host}:${b.port}#${b.nodeId}`).join(',')}, controller ${c.controller}, cluster ${c.clusterId}`;
  });

  await step('ApiVersions: every API kafkajs uses has a version the broker accepts', async () => {
    const requests = requireFromKafkajs('kafkajs/src/protocol/requests');
    const apiKeys = requireFromKafkajs('kafkajs/src/protocol/requests/apiKeys');
    if (!requests || !apiKeys) return 'skipped: kafkajs internals not found';
    const broker = await brokerApiVersions(brokers[0]);
    const chosen = []; const unusable = [];
    for (const [name, key] of Object.entries(apiKeys)) {
      const kv = (requests.requests?.[name] ?? requests[name])?.versions?.map(Number) ?? [];
      if (!kv.length) continue; // kafkajs does not implement it
      const b = broker[key];
      const common = b ? kv.filter((v) => v >= b[0] && v <= b[1]) : [];
      if (common.length) chosen.push(`${name} v${Math.max(...common)}`);
      else unusable.push(`${name} (kafkajs v${Math.min(...kv)}-${Math.max(...kv)}, broker ${b ? `v${b[0]}-${b[1]}` : 'none'})`);
    }
    if (unusable.length) console.log(`     no common version: ${unusable.join('; ')}`);
    const needed = ['Produce', 'Fetch', 'ListOffsets', 'Metadata', 'OffsetCommit', 'OffsetFetch', 'GroupCoordinator',
      'JoinGroup', 'Heartbeat', 'LeaveGroup', 'SyncGroup', 'DescribeGroups', 'ListGroups', 'ApiVersions', 'CreateTopics',
      'DeleteTopics', 'InitProducerId', 'AddPartitionsToTxn', 'AddOffsetsToTxn', 'EndTxn', 'TxnOffsetCommit'];
    const missing = needed.filter((n) => unusable.some((u) => u.startsWith(`${n} `)));
    assert(!missing.length, `no common version for ${missing.join(', ')}`);
    return `negotiated ${chosen.join(', ')}`;
  });

  await step('admin createTopics + listTopics + fetchTopicMetadata', async () => {
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: T.plain, numPartitions: 3 },
        { topic: T.batch, numPartitions: 2 },
        { topic: T.input, numPartitions: 1 },
        { topic: T.txn, numPartitions: 1 },
      ],
    });
    assert(created === true, `createTopics returned ${created}`);
    const names = await admin.listTopics();
    for (const t of [T.plain, T.batch, T.input, T.txn]) assert(names.includes(t), `listTopics has ${t}`);
    const md = await admin.fetchTopicMetadata({ topics: [T.plain] });
    assert(md.topics[0].partitions.length === 3, '3 partitions');
    return `created 4 topics; ${T.plain} has ${md.topics[0].partitions.length} partitions`;
  });

  await step('idempotent producer send (acks -1, maxInFlightRequests 1)', async () => {
    idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await idem.connect();
    const msgs = Array.from({ length: N }, (_, i) => ({ key: `k${i % 7}`, value: `plain-${i}` }));
    const r = await idem.send({ topic: T.plain, acks: -1, messages: msgs });
    const offs = await admin.fetchTopicOffsets(T.plain);
    const total = offs.reduce((s, p) => s + Number(p.high) - Number(p.low), 0);
    assert(total === N, `high-low sums to ${N}, got ${total}`);
    return `acked on ${r.length} partitions; ${total} records on the broker`;
  });

  await step('idempotent producer sendBatch to 2 topics with GZIP', async () => {
    const r = await idem.sendBatch({
      acks: -1,
      compression: CompressionTypes.GZIP,
      topicMessages: [
        { topic: T.batch, messages: Array.from({ length: 10 }, (_, i) => ({ key: `b${i}`, value: `batch-${i}` })) },
        { topic: T.input, messages: Array.from({ length: 10 }, (_, i) => ({ value: `in-${i}` })) },
      ],
    });
    return `${r.length} partition acks`;
  });

  await step('auto topic creation on produce (allowAutoTopicCreation default)', async () => {
    await idem.send({ topic: T.auto, acks: -1, messages: [{ value: 'auto' }] });
    const md = await admin.fetchTopicMetadata({ topics: [T.auto] });
    return `${T.auto} auto-created with ${md.topics[0].partitions.length} partitions (num.partitions)`;
  });

  await step('consumer group: consume all, manual commitOffsets, fetchOffsets', async () => {
    const got = await consumeUntil({
      groupId: GROUP, topic: T.plain, autoCommit: false,
      until: (g) => g.length >= N,
      onMessage: async (consumer, { topic, partition, message }) => {
        await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
      },
    });
    assert(got.length === N, `got ${got.length}`);
    const values = new Set(got.map((m) => m.value));
    assert(values.size === N, 'no duplicates');
    const fo = await admin.fetchOffsets({ groupId: GROUP, topics: [T.plain] });
    const committed = fo[0].partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
    assert(committed === N, `committed offsets sum to ${N}, got ${committed}`);
    return `${got.length} messages on ${new Set(got.map((m) => m.partition)).size} partitions; committed ${fo[0].partitions.map((p) => `${p.partition}:${p.offset}`).join(' ')}`;
  });

  await step('consumer group resumes from committed offsets (new member, nothing re-delivered)', async () => {
    await idem.send({ topic: T.plain, acks: -1, messages: [{ key: 'late', value: 'late-1' }] });
    const got = await consumeUntil({ groupId: GROUP, topic: T.plain, until: (g) => g.some((m) => m.value === 'late-1') });
    assert(got.length === 1, `expected only the new message, got ${got.map((m) => m.value).join(',')}`);
    return 'only the message produced after the commit was delivered';
  });

  await step('admin describeGroups / listGroups', async () => {
    const { groups } = await admin.listGroups();
    assert(groups.some((g) => g.groupId === GROUP), 'listGroups has the group');
    const d = await admin.describeGroups([GROUP]);
    return `state ${d.groups[0].state}, protocolType ${d.groups[0].protocolType}`;
  });

  await step('transactional producer: send + sendOffsets + commit', async () => {
    txp = kafka.producer({ transactionalId: `compat-txn-${run}`, idempotent: true, maxInFlightRequests: 1 });
    await txp.connect();
    const tx = await txp.transaction();
    await tx.send({ topic: T.txn, messages: [{ key: 'c', value: 'committed-1' }, { key: 'c', value: 'committed-2' }] });
    await tx.sendOffsets({ consumerGroupId: TXN_GROUP, topics: [{ topic: T.input, partitions: [{ partition: 0, offset: '5' }] }] });
    await tx.commit();
    // commit() resolves when the coordinator has logged PREPARE_COMMIT; the COMMIT marker reaches
    // __consumer_offsets a moment later, and OffsetFetch v4 (kafkajs) has no require_stable, so an
    // immediate fetch may still show the previous offset: poll and report how long it took.
    const t0 = Date.now(); const seen = [];
    for (;;) {
      const fo = await admin.fetchOffsets({ groupId: TXN_GROUP, topics: [T.input] });
      const off = fo[0].partitions.find((p) => p.partition === 0).offset;
      if (seen[seen.length - 1] !== off) seen.push(off);
      if (off === '5') break;
      assert(Date.now() - t0 < 10000, `transactional offset commit not visible as 5 within 10 s (saw ${seen.join(' -> ')})`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return `committed; ${TXN_GROUP} offset on ${T.input}[0] = 5 after ${Date.now() - t0} ms (fetchOffsets saw ${seen.join(' -> ')})`;
  });

  await step('transactional producer: send + sendOffsets + abort', async () => {
    const tx = await txp.transaction();
    await tx.send({ topic: T.txn, messages: [{ key: 'a', value: 'aborted-1' }, { key: 'a', value: 'aborted-2' }] });
    await tx.sendOffsets({ consumerGroupId: TXN_GROUP, topics: [{ topic: T.input, partitions: [{ partition: 0, offset: '9' }] }] });
    await tx.abort();
    const seen = new Set();
    for (let i = 0; i < 10; i++) { // ~1 s of looking: the aborted offset must never show
      const fo = await admin.fetchOffsets({ groupId: TXN_GROUP, topics: [T.input] });
      seen.add(fo[0].partitions.find((p) => p.partition === 0).offset);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert(seen.size === 1 && seen.has('5'), `aborted offset commit must not show; saw ${[...seen].join(',')}`);
    return `aborted; ${TXN_GROUP} offset stays 5 (10 fetches over 1 s)`;
  });

  await step('transactional producer: next transaction after an abort commits', async () => {
    const tx = await txp.transaction();
    await tx.send({ topic: T.txn, messages: [{ key: 'c', value: 'committed-3' }] });
    await tx.commit();
    return 'committed';
  });

  await step('read_committed consumer (default) sees committed only', async () => {
    const got = await consumeUntil({ groupId: `compat-rc-${run}`, topic: T.txn, until: (g) => g.some((m) => m.value === 'committed-3') });
    const values = got.map((m) => m.value);
    assert(JSON.stringify(values) === JSON.stringify(['committed-1', 'committed-2', 'committed-3']), `got ${values.join(',')}`);
    return values.join(', ');
  });

  await step('read_uncommitted consumer sees the aborted records too', async () => {
    const got = await consumeUntil({ groupId: `compat-ru-${run}`, topic: T.txn, readUncommitted: true, until: (g) => g.some((m) => m.value === 'committed-3') });
    const values = got.map((m) => m.value);
    assert(values.includes('aborted-1') && values.includes('committed-3'), `got ${values.join(',')}`);
    return values.join(', ');
  });

  await step('same transactionalId in a new producer fences the old one', async () => {
    const txp2 = kafka.producer({ transactionalId: `compat-txn-${run}`, idempotent: true, maxInFlightRequests: 1 });
    await txp2.connect();
    try {
      const tx2 = await txp2.transaction();
      await tx2.send({ topic: T.txn, messages: [{ value: 'from-new-producer' }] });
      await tx2.commit();
      let fencedError;
      try {
        const tx = await txp.transaction();
        await tx.send({ topic: T.txn, messages: [{ value: 'from-zombie' }] });
        await tx.commit();
      } catch (e) {
        fencedError = e;
      }
      assert(fencedError, 'old producer was not fenced');
      return `old producer rejected with: ${describeError(fencedError)}`;
    } finally {
      await withDeadline(txp2.disconnect(), 15000, 'txp2.disconnect').catch(() => {});
    }
  });
} finally {
  currentStep = 'disconnect';
  for (const [c, name] of [[idem, 'idempotent producer'], [txp, 'transactional producer'], [admin, 'admin']]) {
    if (c) await withDeadline(c.disconnect(), 15000, `${name}.disconnect`).catch((e) => warnings.push(String(e)));
  }
}

console.log(`kafkajs ${kafkajsVersion} against ${brokers.join(',')}`);
if (warnings.length) {
  console.log(`kafkajs warnings/errors logged (${warnings.length}):`);
  for (const w of warnings.slice(0, 40)) console.log(`  ${w}`);
}
const failed = results.filter((r) => !r.ok).length;
console.log(`compat-check: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
