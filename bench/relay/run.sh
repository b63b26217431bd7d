#!/usr/bin/env bash
# Relay overhead: the same fast stamping upstream (io.tokentap.bench.relay.FastUpstream) behind four paths: direct,
# tokentap (metrics, request log: measuring everything), nginx with proxy_buffering off, HAProxy. For each number
# of streams, the probe client (RelayProbe) runs each path back to back and records receive − send of every event;
# it samples each proxy's CPU (user + system over the measured window, all its processes) and RSS.
# The JVMs are warmed up first until their JIT settles (20-120 s of traffic, not measured). Writes a markdown section to stdout and the raw key=value files to OUT.
# TOKENTAP_TRANSPORT=io_uring runs the tokentap path on io_uring instead of epoll; RELAY_LEVELS="1000:20" picks the
# levels (streams:events per second per stream); TOKENTAP_ARGS adds options to `tokentap proxy` (e.g. "--event-loops 1").
# RELAY_PIN="UPSTREAM:PROXY:CLIENT" pins, with taskset, the upstream to the first CPU list, each proxy and the timer
# probe to the second, the probe client to the third (e.g. RELAY_PIN=0-1:2-3:4-5): the latency targets need each of
# them on cores of its own, which a 2-core machine cannot give.
#   bench/relay/run.sh [--quick] [OUT]
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib/common.sh
quick=0; [[ "${1:-}" == --quick ]] && { quick=1; shift; }
out="${1:-bench/out}"; mkdir -p "$out"
if ((quick)); then warmup=4; duration=6; jit_warmup_min=20; jit_warmup_max=40; else warmup=10; duration=30; jit_warmup_min=40; jit_warmup_max=120; fi
# Streams and the events per second each stream sends (the probe asks the upstream for it per request). The top level is 9,900, not 10,000: a proxy holds two sockets
# per stream, and this machine's hard limit of open files (20,000) cannot be raised without CAP_SYS_RESOURCE.
levels="${RELAY_LEVELS:-100:20 1000:20 9900:2}"
pin_up=(); pin_proxy=(); pin_client=(); proxy_workers=auto
if [[ -n ${RELAY_PIN:-} ]]; then
    IFS=: read -r cpus_up cpus_proxy cpus_client <<<"$RELAY_PIN"
    if [[ -z ${cpus_up:-} || -z ${cpus_proxy:-} || -z ${cpus_client:-} ]]; then
        echo "RELAY_PIN must be UPSTREAM_CPUS:PROXY_CPUS:CLIENT_CPUS, e.g. 0-1:2-3:4-5; got '$RELAY_PIN'" >&2
        exit 2
    fi
    command -v taskset >/dev/null || { echo "RELAY_PIN needs taskset (util-linux)" >&2; exit 2; }
    for c in "$cpus_up" "$cpus_proxy" "$cpus_client"; do
        taskset -c "$c" true 2>/dev/null || { echo "RELAY_PIN: '$c' is not a list of CPUs this machine has" >&2; exit 2; }
    done
    pin_up=(taskset -c "$cpus_up"); pin_proxy=(taskset -c "$cpus_proxy"); pin_client=(taskset -c "$cpus_client")
    # nginx's "auto" counts the machine's CPUs, not the ones it may run on; HAProxy and the JVM count those.
    proxy_workers=$(taskset -c "$cpus_proxy" nproc)
fi
events_per_request=50

build_jars; install_tools; raise_nofile
timer=$(timer_probe "$out")
work=$(mktemp -d); trap 'stop_all; rm -rf "$work"' EXIT

start_bg "$out/upstream.log" "${pin_up[@]}" java -Xmx1g -cp "$BENCH_JAR" io.tokentap.bench.relay.FastUpstream --port 19100 --rate 20
upstream=$LAST_PID

start_tokentap() {
    start_bg "$out/tokentap.log" "${pin_proxy[@]}" java -Xmx512m "-Dtokentap.transport=${TOKENTAP_TRANSPORT:-epoll}" -jar "$TOKENTAP_JAR" proxy --listen 127.0.0.1:19101 \
        --upstream http://127.0.0.1:19100 --admin 127.0.0.1:19102 --log-requests --max-connections 20000 \
        --max-pending-acquires 20000 --drain-timeout 1s --no-scrape ${TOKENTAP_ARGS:-}
    tokentap=$LAST_PID
}

cat >"$work/nginx.conf" <<CONF
worker_processes $proxy_workers;
worker_rlimit_nofile $(ulimit -n);
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 20000; multi_accept on; }
http {
    access_log off;
    client_body_temp_path $work/body; proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi; uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
    keepalive_requests 1000000;
    upstream fast { server 127.0.0.1:19100; keepalive 20000; }
    server {
        listen 127.0.0.1:19103 backlog=4096;
        location / {
            proxy_pass http://fast;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_request_buffering off;
            proxy_read_timeout 300s;
        }
    }
}
CONF
cat >"$work/haproxy.cfg" <<CONF
global
    # No maxconn: HAProxy derives it from the open-files limit (two sockets per stream).
    log stderr format short local0 err
defaults
    mode http
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    option http-no-delay
frontend relay
    bind 127.0.0.1:19104
    default_backend fast
backend fast
    server up 127.0.0.1:19100
CONF
start_tokentap
start_bg "$out/nginx.log" "${pin_proxy[@]}" nginx -c "$work/nginx.conf" -p "$work" -g 'daemon off;'
nginx_master=$LAST_PID
start_bg "$out/haproxy.log" "${pin_proxy[@]}" haproxy -db -f "$work/haproxy.cfg"
haproxy=$LAST_PID
for p in 19100 19101 19103 19104; do wait_port $p; done
sleep 1

declare -A port=([direct]=19100 [tokentap]=19101 [nginx]=19103 [haproxy]=19104)
paths="direct tokentap nginx haproxy"
# Warm-up, not measured: the JVMs (upstream, tokentap) compile their hot paths in the first tens of seconds, and a
# sidecar runs for hours. Each path carries 1,000 streams at 20 events/s first (the level of the latency target: a
# JVM warmed at 500 streams still compiled code for the 1,000-stream load, which cost it 30 % more CPU per event and
# 3x the p99 when measured right after): the JVMs until their JIT has settled (fewer than 20 methods compiled in
# 10 s, within jit_warmup_min..jit_warmup_max s), nginx and HAProxy for 3 s.
for path in $paths; do
    probe_warm=("${pin_client[@]}" java -Xmx1g -cp "$BENCH_JAR" io.tokentap.bench.relay.RelayProbe --port "${port[$path]}" --streams 1000
        --rate 20 --events $events_per_request --warmup 0)
    case $path in
        direct | tokentap)
            jvm=$([[ $path == direct ]] && echo "$upstream" || echo "$tokentap")
            warm_until_jit_settles "$jvm" "$jit_warmup_min" "$jit_warmup_max" "${probe_warm[@]}" --duration 10 \
                >"$out/warmup-$path.txt" 2>&1
            ;;
        *) "${probe_warm[@]}" --duration 3 >"$out/warmup-$path.txt" 2>&1 || true ;;
    esac
done
for level in $levels; do
    streams=${level%%:*}; rate=${level##*:}
    for path in $paths; do
        case $path in
            direct) watch=$upstream ;;
            tokentap) watch=$tokentap ;;
            nginx) watch=$(with_children "$nginx_master") ;;
            haproxy) watch=$haproxy ;;
        esac
        extra=()
        if [[ $path == tokentap && $streams -ge 5000 ]]; then
            extra=(--hold 6 --ready-file "$work/ready")
            rm -f "$work/ready"
        fi
        "${pin_client[@]}" java -Xmx1g -cp "$BENCH_JAR" io.tokentap.bench.relay.RelayProbe --port "${port[$path]}" \
            --streams "$streams" --rate "$rate" --events $events_per_request --warmup $warmup --duration $duration \
            --watch "$watch" "${extra[@]}" >"$out/relay-$streams-$path.txt" 2>"$out/relay-$streams-$path.err" &
        probe=$!
        if ((${#extra[@]})); then
            for _ in $(seq 600); do [[ -f "$work/ready" ]] && break; sleep 0.1; done
            echo "heap_after_gc_mb=$(heap_after_gc_mb "$tokentap")" >>"$out/relay-$streams-$path.txt.extra"
            echo "rss_mb_at_hold=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' /proc/$tokentap/status)" \
                >>"$out/relay-$streams-$path.txt.extra"
        fi
        # The machine's wake-up lateness through the measured window (a second short of each end).
        timer_window "$timer" $((warmup + 1)) $((duration - 2)) "$out/relay-$streams-$path.timer" &
        tp=$!
        # The probe forks after its delay, so it takes the CPUs set here: the proxies'.
        ((${#pin_proxy[@]})) && taskset -pc "$cpus_proxy" $tp >/dev/null
        wait $probe || echo "probe failed: $path at $streams streams (see $out/relay-$streams-$path.err)" >&2
        wait $tp || true
        cat "$out/relay-$streams-$path.timer" >>"$out/relay-$streams-$path.txt" 2>/dev/null || true
        if [[ -f "$out/relay-$streams-$path.txt.extra" ]]; then
            cat "$out/relay-$streams-$path.txt.extra" >>"$out/relay-$streams-$path.txt"
            rm -f "$out/relay-$streams-$path.txt.extra"
        fi
        sleep 1 # closed connections drain before the next path
    done
done

# The markdown section.
echo "### Relay overhead"
echo
((${#pin_up[@]})) && echo "Pinned (RELAY_PIN): the upstream on CPUs $cpus_up, each proxy and the timer probe on $cpus_proxy, the probe client on $cpus_client."
echo "tokentap runs on ${TOKENTAP_TRANSPORT:-epoll}. Events per stream per second: $(for l in $levels; do echo -n "${l%%:*} streams → ${l##*:}/s; "; done)"
echo "$events_per_request events per request (then the next request on the same connection); warm-up ${warmup} s,"
echo "measured ${duration} s per path, paths run one after the other at each level. \"timer late p99\": how late a C"
echo "program sleeping to a deadline every millisecond (bench/lib/timer_floor.c) woke, p99, in the same window: the"
echo "machine's own scheduling floor under that load, which no proxy's added latency can go below."
echo
echo "| streams | path | events/s | p50 µs | p99 µs | p99.9 µs | added p50 µs | added p99 µs | CPU s / M events (user + sys) | RSS MB | errors | timer late p99 µs |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for level in $levels; do
    streams=${level%%:*}
    d="$out/relay-$streams-direct.txt"
    for path in $paths; do
        f="$out/relay-$streams-$path.txt"
        [[ -s $f ]] || { echo "| $streams | $path | (failed) |||||||||"; continue; }
        awk -F= -v s="$streams" -v p="$path" -v dp50="$(kv "$d" p50_us)" -v dp99="$(kv "$d" p99_us)" '
            {v[$1] = $2}
            END {
                a50 = p == "direct" ? "—" : sprintf("%+.0f", v["p50_us"] - dp50)
                a99 = p == "direct" ? "—" : sprintf("%+.0f", v["p99_us"] - dp99)
                cpus = sprintf("%.1f (%.1f + %.1f)", v["cpu_s_per_million_events"], v["cpu_user_s_per_million_events"],
                    v["cpu_sys_s_per_million_events"])
                cpu = p == "direct" ? "(upstream " cpus ")" : cpus
                rss = p == "direct" ? "—" : sprintf("%.0f", v["rss_mb"])
                timer = "timer_late_p99_ms" in v ? sprintf("%.0f", v["timer_late_p99_ms"] * 1000) : "—"
                printf "| %s | %s | %.0f | %.0f | %.0f | %.0f | %s | %s | %s | %s | %d | %s |\n", s, p, v["events_per_s"],
                    v["p50_us"], v["p99_us"], v["p999_us"], a50, a99, cpu, rss, v["errors"], timer
            }' "$f"
    done
done
echo
for level in $levels; do
    streams=${level%%:*}
    f="$out/relay-$streams-tokentap.txt"
    if [[ -s $f ]] && grep -q heap_after_gc_mb "$f"; then
        echo "tokentap at $streams streams (-Xmx512m): heap in use after a full GC $(kv "$f" heap_after_gc_mb) MB,"\
             "RSS $(kv "$f" rss_mb_at_hold) MB."
    fi
done
echo
# CPU ratios at each level against nginx.
for level in $levels; do
    streams=${level%%:*}
    n="$out/relay-$streams-nginx.txt"; t="$out/relay-$streams-tokentap.txt"; h="$out/relay-$streams-haproxy.txt"
    [[ -s $n && -s $t && -s $h ]] || continue
    awk -v s="$streams" -v t="$(kv "$t" cpu_s_per_million_events)" -v n="$(kv "$n" cpu_s_per_million_events)" \
        -v h="$(kv "$h" cpu_s_per_million_events)" -v j="$(kv "$t" jit_cpu_s_per_million_events)" \
        'BEGIN {printf "- %s streams: CPU per event, tokentap / nginx = %.2f, HAProxy / nginx = %.2f; tokentap'"'"'s JIT" \
            " compiler threads used %.1f of its %.1f CPU s / M events; without them, tokentap / nginx = %.2f\n",
            s, t / n, h / n, j, t, (t - j) / n}'
done
