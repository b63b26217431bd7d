#!/usr/bin/env bash
# Shared by the bench/ scripts: builds, package installs, process bookkeeping, key=value parsing.
# Every process a script starts goes through `start_bg`, and the EXIT trap stops them all by pid.

BENCH_JAR=bench/jmh/target/tokentap-bench.jar
TOKENTAP_JAR=${TOKENTAP_JAR:-cli/target/tokentap.jar}
BENCH_PIDS=()

build_jars() {
    if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
        mvn -B -q -DskipTests package -pl cli,bench/jmh -am >/dev/null
    fi
}

# nginx, HAProxy, Python's aiohttp and a C compiler (the timer probe) from Debian's packages, when missing.
install_tools() {
    local missing=()
    command -v cc >/dev/null || missing+=(gcc)
    command -v nginx >/dev/null || missing+=(nginx)
    command -v haproxy >/dev/null || missing+=(haproxy)
    /usr/bin/python3 -c 'import aiohttp' 2>/dev/null || missing+=(python3-aiohttp)
    if ((${#missing[@]})); then
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# The C timer probe (bench/lib/timer_floor.c), compiled into DIR once; prints the binary's path. Run beside a
# measurement for its window, it tells how late this machine wakes a process that sleeps to a deadline, under the
# same load: the floor of any latency figure taken at that time.
timer_probe() { # timer_probe DIR
    local bin="$1/timer_floor"
    [[ -x $bin ]] || cc -O2 -o "$bin" bench/lib/timer_floor.c
    echo "$bin"
}

# timer_window BIN DELAY_S WINDOW_S OUT: after DELAY_S, runs the timer probe BIN for WINDOW_S seconds (one wake-up a
# millisecond) and writes its key=value lines to OUT. Started in the background beside a measurement, it covers that
# measurement's window.
timer_window() {
    sleep "$2"
    "$1" $(($3 * 1000)) >"$4"
}

# Open files: 10,000 streams need 10,000 sockets in the client and 20,000 in a proxy (both sides).
raise_nofile() {
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
}

start_bg() { # start_bg LOGFILE CMD...
    local log=$1; shift
    "$@" >"$log" 2>&1 &
    BENCH_PIDS+=($!)
    LAST_PID=$!
}

# SIGTERM, then SIGKILL for what is still there after 5 s; by pid only.
stop_pid() {
    kill "$@" 2>/dev/null || true
    local p
    for _ in $(seq 50); do
        local alive=0
        for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    for p in "$@"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
}

stop_all() {
    ((${#BENCH_PIDS[@]})) && stop_pid "${BENCH_PIDS[@]}"
    BENCH_PIDS=()
}

wait_port() { # wait_port PORT (a JVM starts slowly on a loaded machine: up to 60 s)
    for _ in $(seq 600); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on 127.0.0.1:$1" >&2
    return 1
}

kv() { # kv FILE KEY -> value
    awk -F= -v k="$2" '$1 == k {print $2; exit}' "$1"
}

# Process ids of a process and its children (nginx's master and workers).
with_children() {
    local pids="$1" c
    for c in $(pgrep -P "$1" 2>/dev/null); do pids="$pids,$c"; done
    echo "$pids"
}

# Heap in use after a full GC, in MB, of a running JVM.
heap_after_gc_mb() {
    jcmd "$1" GC.run >/dev/null 2>&1 || true
    jcmd "$1" GC.heap_info 2>/dev/null | awk '/garbage-first heap/ {for (i = 1; i <= NF; i++) if ($i == "used") {v = $(i + 1); sub("K,?", "", v); printf "%.0f", v / 1024; exit}}'
}

machine_details() {
    echo "- CPU: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores"
    echo "- kernel: $(uname -r); memory: $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo)"
    echo "- Java: $(java -version 2>&1 | head -1)"
    echo "- nginx: $(nginx -v 2>&1 | sed 's/.*version: //'); HAProxy: $(haproxy -v | head -1 | awk '{print $3}'); Python: $(/usr/bin/python3 --version | awk '{print $2}'), aiohttp $(/usr/bin/python3 -c 'import aiohttp; print(aiohttp.__version__)')"
    echo "- open files limit: $(ulimit -n); load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Methods the JIT has compiled so far in a running JVM (jstat), or empty when it cannot be read.
jit_compiled() {
    jstat -compiler "$1" 2>/dev/null | awk 'NR == 2 {print $1}'
}

# warm_until_jit_settles PID MIN_S MAX_S CMD...: runs CMD (a load of 10 s or so) again and again until JVM PID has
# compiled fewer than 20 new methods during one run, for at least MIN_S and at most MAX_S seconds. A sidecar runs for
# hours; what is measured after this is its steady state, not its JIT. Prints the seconds and methods it took.
warm_until_jit_settles() {
    local pid=$1 min=$2 max=$3; shift 3
    local start=$SECONDS before after
    before=$(jit_compiled "$pid")
    while :; do
        "$@" || true
        after=$(jit_compiled "$pid")
        if ((SECONDS - start >= max)); then break; fi
        if ((SECONDS - start >= min)) && [[ -n $before && -n $after ]] && ((after - before < 20)); then break; fi
        before=$after
    done
    echo "warm_up_s=$((SECONDS - start)) jit_methods=${after:-?}"
}
