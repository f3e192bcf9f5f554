#!/usr/bin/env bash
# Local Apache Kafka broker for conclude's development, tests and demo.
#
# One combined KRaft node (broker + controller, no ZooKeeper, no Docker) run from the jars that
# Maven Central serves, on 127.0.0.1, with the machine's Java 17+. See scripts/kafka/README.md.
#
#   scripts/kafka.sh install   resolve the jars named by scripts/kafka/pom.xml into $KAFKA_LIB
#   scripts/kafka.sh start     write config, format storage on first start, start, wait until it answers
#   scripts/kafka.sh stop      SIGTERM, wait up to $KAFKA_STOP_TIMEOUT s, then SIGKILL (idempotent)
#   scripts/kafka.sh restart   stop if running, start again on the same data (never reformats)
#   scripts/kafka.sh kill      SIGKILL at once (fault tests); data stays for `restart`
#   scripts/kafka.sh status    running? answering on the port? (exit 0 yes, 1 not running, 2 not answering)
#   scripts/kafka.sh wipe      stop, then delete $KAFKA_DATA_DIR (data, config, logs)
#   scripts/kafka.sh env       print the settings in effect
#
# Environment (all optional):
#   CONCLUDE_KAFKA_HOME    cache dir (default: <repo>/.cache/kafka); jars go to $CONCLUDE_KAFKA_HOME/lib
#   KAFKA_DATA_DIR         this broker's dir: data, server.properties, pidfile, logs
#                          (default: $CONCLUDE_KAFKA_HOME/broker)
#   KAFKA_PORT             PLAINTEXT listener on 127.0.0.1 (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft CONTROLLER listener on 127.0.0.1 (default 9093)
#   KAFKA_NUM_PARTITIONS   partitions of auto-created topics (default 3)
#   KAFKA_HEAP_OPTS        default "-Xmx512m -Xms128m"
#   KAFKA_JVM_OPTS         extra JVM options (default "-XX:TieredStopAtLevel=1": C1 JIT only, which
#                          starts much faster on a busy 2-core machine; set it to "" for the full
#                          C2 JIT, e.g. for a throughput benchmark against the broker)
#   KAFKA_EXTRA_PROPERTIES extra server.properties lines, newline-separated (appended, last wins)
#   KAFKA_CLUSTER_ID       cluster id used when formatting (default: a fresh random one)
#   KAFKA_START_TIMEOUT    seconds `start` waits for the broker to answer (default 60)
#   KAFKA_STOP_TIMEOUT     seconds `stop` waits after SIGTERM before SIGKILL (default 20)
#   MVN                    maven command (default mvn)
# A second broker (e.g. for a test) needs only its own KAFKA_DATA_DIR, KAFKA_PORT and
# KAFKA_CONTROLLER_PORT; the jars are shared.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd)"
POM="$SCRIPT_DIR/kafka/pom.xml"

KAFKA_HOME_DIR="${CONCLUDE_KAFKA_HOME:-$REPO/.cache/kafka}"
KAFKA_LIB="$KAFKA_HOME_DIR/lib"
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$KAFKA_HOME_DIR/broker}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_NUM_PARTITIONS="${KAFKA_NUM_PARTITIONS:-3}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms128m}"
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS--XX:TieredStopAtLevel=1}"
KAFKA_EXTRA_PROPERTIES="${KAFKA_EXTRA_PROPERTIES:-}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-20}"
MVN="${MVN:-mvn}"
HOST=127.0.0.1
# absolute paths: the pidfile check matches the broker's command line against $PROPS
KAFKA_HOME_DIR="$(realpath -m "$KAFKA_HOME_DIR")"
KAFKA_LIB="$KAFKA_HOME_DIR/lib"
KAFKA_DATA_DIR="$(realpath -m "$KAFKA_DATA_DIR")"

LOG_DIRS="$KAFKA_DATA_DIR/kraft"              # Kafka's log.dirs (the data)
LOGS="$KAFKA_DATA_DIR/logs"                   # server.log (log4j2) and stdout.log (JVM)
PROPS="$KAFKA_DATA_DIR/server.properties"
LOG4J="$KAFKA_DATA_DIR/log4j2.xml"
PIDFILE="$KAFKA_DATA_DIR/kafka.pid"
READY_DIR="$KAFKA_HOME_DIR/readycheck"        # compiled client-level readiness check (shared)

say() { printf 'kafka.sh: %s\n' "$*"; }
err() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { err "$*"; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

pom_version() {
  sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1
}

# The stamp names the Kafka version and the pom's hash: a changed pom means a fresh resolve.
wanted_stamp() { printf '%s %s\n' "$(pom_version)" "$(sha256sum "$POM" | cut -d' ' -f1)"; }

installed() {
  [[ -f "$KAFKA_LIB/.stamp" ]] && [[ "$(cat "$KAFKA_LIB/.stamp")" == "$(wanted_stamp)" ]] \
    && compgen -G "$KAFKA_LIB/kafka_2.13-$(pom_version).jar" >/dev/null
}

check_java() {
  command -v java >/dev/null || die "java not found (Kafka 4.x brokers need Java 17+)"
  local v
  v="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  if ! [[ "${v%%.*}" =~ ^[0-9]+$ ]] || (( ${v%%.*} < 17 )); then
    die "java $v found; Kafka 4.x brokers need Java 17+"
  fi
}

cmd_install() {
  mkdir -p "$KAFKA_HOME_DIR"
  # one installer at a time (parallel test jobs may all call `start`)
  exec 8>"$KAFKA_HOME_DIR/.install.lock"
  flock 8
  local version; version="$(pom_version)"
  if installed; then
    say "kafka $version jars already in $KAFKA_LIB"
    exec 8>&-
    return 0
  fi
  check_java
  command -v "$MVN" >/dev/null || die "$MVN not found (Maven is needed to fetch the jars)"
  say "resolving kafka_2.13 $version and its dependencies from Maven Central into $KAFKA_LIB"
  local t0 tmp; t0="$(now)"
  tmp="$(mktemp -d "$KAFKA_HOME_DIR/.lib.XXXXXX")"
  if ! "$MVN" -q -B -f "$POM" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp" >"$tmp.mvn.log" 2>&1; then
    cat "$tmp.mvn.log" >&2
    rm -rf "$tmp" "$tmp.mvn.log"
    die "mvn dependency:copy-dependencies failed"
  fi
  rm -f "$tmp.mvn.log"
  [[ -f "$tmp/kafka_2.13-$version.jar" ]] || { rm -rf "$tmp"; die "kafka_2.13-$version.jar missing after mvn"; }
  wanted_stamp >"$tmp/.stamp"
  rm -rf "$KAFKA_LIB" "$READY_DIR"
  mv "$tmp" "$KAFKA_LIB"
  local jars=("$KAFKA_LIB"/*.jar)
  say "installed ${#jars[@]} jars in $(elapsed "$t0")s"
  exec 8>&-
}

# ---------------------------------------------------------------------------------------------
# process helpers

# pid from the pidfile if that process is alive and is this instance's broker, else nothing
broker_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  is_our_broker "$pid" && { echo "$pid"; return 0; }
  return 1
}

is_our_broker() {
  local pid="$1" cmdline state
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
  [[ "$state" == Z || -z "$state" ]] && return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmdline" == *kafka.Kafka* && "$cmdline" == *"$PROPS"* ]]
}

# After a signal, wait until the process has exited (gone or a zombie). Not by its cmdline: that
# empties before an exiting process has closed its sockets.
wait_gone() { # pid seconds -> 0 if gone in time
  local pid="$1" deadline=$(( SECONDS + $2 )) state
  while :; do
    state="$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1 || true)"
    [[ -z "$state" || "$state" == Z || "$state" == X ]] && break
    (( SECONDS >= deadline )) && return 1
    sleep 0.1
  done
  local port
  for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    while port_open "$port" && (( SECONDS < deadline + 5 )); do sleep 0.1; done
  done
  return 0
}

port_open() { # port -> 0 if something accepts TCP on 127.0.0.1:port
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# ---------------------------------------------------------------------------------------------
# configuration

write_config() {
  mkdir -p "$LOG_DIRS" "$LOGS"
  cat >"$PROPS" <<EOF
# Written by scripts/kafka.sh on every start; edit the script (or KAFKA_EXTRA_PROPERTIES), not this.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$LOG_DIRS

# a single node: every internal topic has one replica
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
# The coordinator looks for transactions open longer than their timeout every this many ms
# (default 10000) and aborts them, bumping the producer epoch (fencing). conclude run --exactly-once
# relies on that abort to fence a paused member (a zombie) and refuses to start unless
# --transaction-timeout + this interval <= 0.8 x --session-timeout; it reads the broker's value.
# 1 s lets the tests keep short sessions (6 s, the broker's minimum) and transactions (3 s).
transaction.abort.timed.out.transaction.cleanup.interval.ms=1000
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1

# topics and groups
auto.create.topics.enable=true
num.partitions=$KAFKA_NUM_PARTITIONS
group.initial.rebalance.delay.ms=0

# after a SIGKILL the restarted controller rejects the broker's re-registration until the old
# registration's session times out (default 9 s): a shorter session makes kill + restart quick
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=4000

# small footprint: a shared 2-core machine
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
log.retention.hours=24
log.segment.bytes=104857600
# A deleted topic's files go 1 s after the delete, not 60 s (the default): tests and benchmarks
# delete their topics when done, and the deferred unlink of hundreds of MB (and its page cache)
# otherwise lands in the middle of whatever runs a minute later.
log.segment.delete.delay.ms=1000
EOF
  if [[ -n "$KAFKA_EXTRA_PROPERTIES" ]]; then
    printf '\n# KAFKA_EXTRA_PROPERTIES\n%s\n' "$KAFKA_EXTRA_PROPERTIES" >>"$PROPS"
  fi
  cat >"$LOG4J" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by scripts/kafka.sh: the broker logs to ${kafka.logs.dir}/server.log. -->
<Configuration status="WARN" name="conclude-kafka">
  <Appenders>
    <RollingFile name="server" fileName="${sys:kafka.logs.dir}/server.log"
                 filePattern="${sys:kafka.logs.dir}/server.log.%i">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
      <SizeBasedTriggeringPolicy size="20MB"/>
      <DefaultRolloverStrategy max="3"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="server"/></Root>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Logger name="kafka.log.LogCleaner" level="WARN"/>
    <Logger name="org.apache.kafka.storage.internals.log.LogCleaner" level="WARN"/>
  </Loggers>
</Configuration>
EOF
}

java_cp() { printf '%s/*' "$KAFKA_LIB"; }

# short-lived tool JVMs: C1 only, serial GC, small heap
tool_java() { java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "$@"; }

formatted() { [[ -f "$LOG_DIRS/meta.properties" ]]; }

format_storage() {
  local cid="${KAFKA_CLUSTER_ID:-}"
  if [[ -z "$cid" ]]; then
    cid="$(tool_java -cp "$(java_cp)" -Dlog4j2.configurationFile="$LOG4J" -Dkafka.logs.dir="$LOGS" \
            kafka.tools.StorageTool random-uuid | tail -n1)"
  fi
  say "formatting $LOG_DIRS (cluster id $cid)"
  tool_java -cp "$(java_cp)" -Dlog4j2.configurationFile="$LOG4J" -Dkafka.logs.dir="$LOGS" \
    kafka.tools.StorageTool format -t "$cid" -c "$PROPS" >"$LOGS/format.log" 2>&1 \
    || { cat "$LOGS/format.log" >&2; die "kafka.tools.StorageTool format failed"; }
}

# ---------------------------------------------------------------------------------------------
# readiness: a real client round trip (Kafka's own AdminClient from kafka-clients in $KAFKA_LIB:
# describeCluster must list the broker and listTopics must answer). One JVM polls until the
# deadline, and gives up at once if the broker process dies.

readycheck_build() ( # a subshell: the lock is released when it ends
  local src="$READY_DIR/ReadyCheck.java"
  mkdir -p "$READY_DIR"
  exec 7>"$KAFKA_HOME_DIR/.install.lock"
  flock 7   # brokers of several data dirs share $READY_DIR
  cat >"$src.new" <<'EOF'
import java.util.Collection;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.common.Node;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;

/** ReadyCheck BOOTSTRAP DEADLINE_MS [PID]: exit 0 once the broker answers, 2 on deadline, 3 if PID died. */
public class ReadyCheck {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    long deadline = System.currentTimeMillis() + Long.parseLong(args[1]);
    long pid = args.length > 2 ? Long.parseLong(args[2]) : -1;
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("request.timeout.ms", "3000");
    p.put("default.api.timeout.ms", "5000");
    p.put("reconnect.backoff.ms", "100");
    p.put("reconnect.backoff.max.ms", "500");
    p.put("retry.backoff.ms", "100");
    p.put("retry.backoff.max.ms", "500");
    p.put("socket.connection.setup.timeout.ms", "1000");
    p.put("socket.connection.setup.timeout.max.ms", "2000");
    String last = "no answer yet";
    final String PROBE = "conclude-kafka-sh-readycheck";
    Admin admin = Admin.create(p);
    while (true) {
      if (pid > 0 && !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        System.err.println("broker process " + pid + " exited");
        System.exit(3);
      }
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        System.err.println("broker did not answer: " + last);
        System.exit(2);
      }
      int t = (int) Math.max(200, Math.min(3000, left));
      last = "no answer";
      try {
        DescribeClusterResult r = admin.describeCluster(new DescribeClusterOptions().timeoutMs(t));
        Collection<Node> nodes = r.nodes().get();
        String clusterId = r.clusterId().get();
        if (nodes.isEmpty()) {
          last = "no brokers in metadata";
        } else {
          Set<String> topics = admin.listTopics(new ListTopicsOptions().listInternal(true).timeoutMs(t)).names().get();
          // The group and transaction coordinators: the first FindCoordinator creates
          // __consumer_offsets / __transaction_state, and after a restart they reload them.
          // Until then clients get COORDINATOR_NOT_AVAILABLE / COORDINATOR_LOAD_IN_PROGRESS.
          last = "group coordinator not ready";
          admin.listConsumerGroupOffsets(PROBE, new ListConsumerGroupOffsetsOptions().timeoutMs(t))
              .partitionsToOffsetAndMetadata().get();
          // InitProducerId: creates/loads __transaction_state and makes the broker fetch its first
          // block of producer ids from the controller (until then idempotent and transactional
          // producers get COORDINATOR_LOAD_IN_PROGRESS).
          last = "transaction coordinator not ready";
          Properties pp = new Properties();
          pp.putAll(p);
          // a fresh transactional id: a known one would reuse its producer id, and only a new
          // id makes the broker fetch the id block that idempotent producers need
          pp.put("transactional.id", PROBE + "-" + java.util.UUID.randomUUID());
          pp.put("max.block.ms", String.valueOf(t));
          pp.put("key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
          pp.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
          KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp);
          try {
            producer.initTransactions();
          } finally {
            producer.close(Duration.ofSeconds(1));
          }
          System.out.println("cluster " + clusterId + ", brokers " + nodes + ", " + topics.size()
              + " topics, group and transaction coordinators answer");
          System.exit(0);
        }
      } catch (ExecutionException e) {
        last = last + ": " + e.getCause();
      } catch (KafkaException e) {
        last = last + ": " + e;
      }
      Thread.sleep(200);
    }
  }
}
EOF
  # compiled once; again only when this script's copy of the source changes
  if [[ -f "$READY_DIR/ReadyCheck.class" ]] && cmp -s "$src.new" "$src"; then
    rm -f "$src.new"
    return 0
  fi
  mv -f "$src.new" "$src"
  rm -f "$READY_DIR"/*.class
  javac -nowarn -cp "$(java_cp)" -d "$READY_DIR" "$src" 2>"$READY_DIR/javac.log" \
    || { cat "$READY_DIR/javac.log" >&2; die "could not compile the readiness check"; }
)

readycheck() { # deadline_seconds [pid]
  local ms=$(( $1 * 1000 ))
  java -Xmx64m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    -Dorg.apache.logging.log4j.level=OFF -cp "$READY_DIR:$(java_cp)" \
    ReadyCheck "$HOST:$KAFKA_PORT" "$ms" ${2:+"$2"}
}

# ---------------------------------------------------------------------------------------------
# commands

cmd_start() { # [--no-format]
  local no_format="${1:-}"
  local t0; t0="$(now)"
  installed || cmd_install
  mkdir -p "$KAFKA_DATA_DIR"
  exec 9>"$KAFKA_DATA_DIR/.lock"
  flock 9
  local pid
  if pid="$(broker_pid)"; then
    say "already running (pid $pid) on $HOST:$KAFKA_PORT; checking that it answers"
    readycheck "$KAFKA_START_TIMEOUT" "$pid" || die "running but not answering; see $LOGS/server.log"
    return 0
  fi
  rm -f "$PIDFILE"
  local port
  for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open "$port"; then
      ss -ltnp "sport = :$port" 2>/dev/null | tail -n +2 >&2 || true
      die "port $port on $HOST is already in use (another broker? set KAFKA_PORT / KAFKA_CONTROLLER_PORT)"
    fi
  done
  write_config
  if ! formatted; then
    [[ "$no_format" == --no-format ]] && die "no formatted data in $LOG_DIRS to restart on (run start first)"
    format_storage
  fi
  : >"$LOGS/stdout.log"
  local log_from=0  # server.log is appended to across starts: show only this start's lines
  [[ -f "$LOGS/server.log" ]] && log_from="$(stat -c %s "$LOGS/server.log")"
  local t_launch; t_launch="$(now)"   # the deadline counts from here (not from any install)
  # setsid: the broker outlives this shell and ignores its terminal's signals; the inner sh
  # records its own pid, which exec turns into the JVM's.
  # shellcheck disable=SC2086,SC2016
  setsid sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$PIDFILE" \
    java $KAFKA_HEAP_OPTS \
      -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
      -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$LOG4J" -Dkafka.logs.dir="$LOGS" \
      $KAFKA_JVM_OPTS \
      -cp "$(java_cp)" kafka.Kafka "$PROPS" \
    >>"$LOGS/stdout.log" 2>&1 </dev/null 8>&- 9>&- &
  disown $! 2>/dev/null || true
  local _
  for _ in $(seq 50); do [[ -s "$PIDFILE" ]] && break; sleep 0.1; done
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  [[ -n "$pid" ]] || die "broker did not start (no pid); see $LOGS/stdout.log"
  say "started pid $pid; waiting up to ${KAFKA_START_TIMEOUT}s for $HOST:$KAFKA_PORT to answer"
  # compiled (first start only) while the broker's JVM starts
  local left
  if readycheck_build; then
    left=$(awk -v a="$t_launch" -v b="$(now)" -v d="$KAFKA_START_TIMEOUT" 'BEGIN { l = int(d - (b - a)); print (l < 1 ? 1 : l) }')
  else
    left=0
  fi
  if (( left > 0 )) && readycheck "$left" "$pid"; then
    say "ready on $HOST:$KAFKA_PORT after $(elapsed "$t0")s (pid $pid, data $KAFKA_DATA_DIR)"
    return 0
  fi
  err "broker not ready after $(elapsed "$t0")s; last lines this start wrote to $LOGS/server.log:"
  if [[ -f "$LOGS/server.log" ]] && (( $(stat -c %s "$LOGS/server.log") > log_from )); then
    tail -c +"$(( log_from + 1 ))" "$LOGS/server.log" | tail -n 40 >&2
  else
    err "(nothing yet)"
  fi
  err "--- $LOGS/stdout.log:"
  tail -n 20 "$LOGS/stdout.log" >&2 || true
  if is_our_broker "$pid"; then
    err "stopping the half-started broker (pid $pid)"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || true
  fi
  rm -f "$PIDFILE"
  exit 1
}

cmd_stop() {
  local pid t0
  if ! pid="$(broker_pid)"; then
    rm -f "$PIDFILE"
    say "not running ($KAFKA_DATA_DIR)"
    return 0
  fi
  t0="$(now)"
  kill -TERM "$pid" 2>/dev/null || true
  if wait_gone "$pid" "$KAFKA_STOP_TIMEOUT"; then
    say "stopped pid $pid in $(elapsed "$t0")s"
  else
    err "pid $pid still up after ${KAFKA_STOP_TIMEOUT}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || die "pid $pid survived SIGKILL"
    say "killed pid $pid"
  fi
  rm -f "$PIDFILE"
}

cmd_kill() {
  local pid
  if ! pid="$(broker_pid)"; then
    rm -f "$PIDFILE"
    say "not running ($KAFKA_DATA_DIR)"
    return 0
  fi
  kill -KILL "$pid" 2>/dev/null || true
  wait_gone "$pid" 10 || die "pid $pid survived SIGKILL"
  rm -f "$PIDFILE"
  say "killed pid $pid (SIGKILL); data kept in $LOG_DIRS"
}

cmd_status() {
  local pid
  if ! pid="$(broker_pid)"; then
    say "not running (data dir $KAFKA_DATA_DIR$(formatted && echo ', formatted' || echo ', not formatted'))"
    return 1
  fi
  if port_open "$KAFKA_PORT"; then
    say "running: pid $pid, $HOST:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT), data $KAFKA_DATA_DIR"
    return 0
  fi
  say "running (pid $pid) but $HOST:$KAFKA_PORT does not accept connections"
  return 2
}

cmd_wipe() {
  cmd_stop
  rm -rf "$KAFKA_DATA_DIR"
  say "wiped $KAFKA_DATA_DIR"
}

cmd_env() {
  cat <<EOF
CONCLUDE_KAFKA_HOME=$KAFKA_HOME_DIR
KAFKA_LIB=$KAFKA_LIB  (kafka $(pom_version); installed: $(installed && echo yes || echo no))
KAFKA_DATA_DIR=$KAFKA_DATA_DIR
KAFKA_PORT=$KAFKA_PORT
KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT
KAFKA_NUM_PARTITIONS=$KAFKA_NUM_PARTITIONS
KAFKA_HEAP_OPTS=$KAFKA_HEAP_OPTS
KAFKA_JVM_OPTS=$KAFKA_JVM_OPTS
KAFKA_EXTRA_PROPERTIES=$(printf '%s' "$KAFKA_EXTRA_PROPERTIES" | tr '\n' ' ')
KAFKA_START_TIMEOUT=$KAFKA_START_TIMEOUT
KAFKA_STOP_TIMEOUT=$KAFKA_STOP_TIMEOUT
bootstrap: $HOST:$KAFKA_PORT
logs: $LOGS/server.log, $LOGS/stdout.log
EOF
}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
  install) cmd_install ;;
  start)   cmd_start ;;
  stop)    cmd_stop ;;
  restart) cmd_stop; cmd_start --no-format ;;
  kill)    cmd_kill ;;
  status)  cmd_status ;;
  wipe)    cmd_wipe ;;
  env)     cmd_env ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 64 ;;
esac
