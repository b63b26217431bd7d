#!/usr/bin/env bash
# What one rejected request costs the server that answers it (issue 5's goal: at most 20 µs of proxy CPU), side by
# side with nginx answering `return 429` from one worker. tokentap runs as `tokentap proxy` with a per-tenant limit
# of 1 request per minute, so that every request of the storm after the first is answered 429 by the rate limiter
# (the upstream is never reached). The client (io.tokentap.bench.reject.RejectionStorm) sends keep-alive requests
# over real sockets and reads the server's whole-process CPU (user + system, every thread: event loops, GC, JIT)
# from /proc before and after each storm. Before the first shape, a warm-up storm of four times the measured count
# (at least 300,000): the proxy's JIT compiles its hot code and its heap grows to its working size (a heap still
# growing costs a page fault for every fresh 4 KB page it touches), so the rounds measure the steady state a
# long-running sidecar is in; the later shapes get a short warm-up of their own (new connections), as nginx does.
# Three shapes: one request per write over 4 and over 64 connections, and 16 pipelined requests per write. Up to four
# tokentap proxies: on epoll (the default transport) and on io_uring (where the kernel allows it; one submission
# system call carries a loop's reads and writes), each with its default event loops (one per processor) and with a
# single event loop, as nginx here has a single worker (with fewer loops, each wake-up finds more connections ready:
# fewer wake-ups and context switches per request); --quick leaves out io_uring.
#   bench/reject/run.sh [--quick] [OUT]
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib/common.sh
quick=0; [[ "${1:-}" == --quick ]] && { quick=1; shift; }
out="${1:-bench/out}"; mkdir -p "$out"
if ((quick)); then requests=60000; else requests=300000; fi
build_jars; install_tools; raise_nofile
work=$(mktemp -d); trap 'stop_all; rm -rf "$work"' EXIT

# The tokentap proxies: NAME PORT ADMIN_PORT TRANSPORT EVENT_LOOPS (0: the default, one per processor).
proxies=("tokentap 19301 19302 epoll 0" "tokentap1 19304 19305 epoll 1")
if ((quick)); then
    : # --quick keeps the suite within its 10 minutes: epoll only
elif java -cp "$TOKENTAP_JAR" io.tokentap.net.Transports io_uring >/dev/null 2>&1; then
    proxies+=("uring 19306 19307 io_uring 0" "uring1 19308 19309 io_uring 1")
else
    echo "io_uring is not available here: its rows are left out" >&2
fi
declare -A pid port
for p in "${proxies[@]}"; do
    set -- $p
    loops=(); (($5 > 0)) && loops=(--event-loops "$5")
    start_bg "$out/reject-$1.log" java -Xmx512m "-Dtokentap.transport=$4" -jar "$TOKENTAP_JAR" proxy \
        --listen "127.0.0.1:$2" --upstream http://127.0.0.1:9 --admin "127.0.0.1:$3" --per-tenant-limits \
        --requests-per-minute 1 --no-scrape "${loops[@]}"
    pid[$1]=$LAST_PID; port[$1]=$2
done
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/body; proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi; uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:19303;
        location / {
            default_type application/json;
            add_header Retry-After 60 always;
            return 429 '{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}';
        }
    }
}
CONF
start_bg "$out/reject-nginx.log" nginx -c "$work/nginx.conf" -p "$work" -g 'daemon off;'
nginx_master=$LAST_PID
wait_port 19303; for p in "${proxies[@]}"; do set -- $p; wait_port "$2"; done

storm() { # storm NAME PORT PIDS CONNECTIONS PIPELINE WARMUP
    java -cp "$BENCH_JAR" io.tokentap.bench.reject.RejectionStorm --port "$2" --watch "$3" --requests "$requests" \
        --connections "$4" --pipeline "$5" --warmup-requests "$6" >"$out/reject-$1-$4x$5.txt" 2>&1 \
        || echo "storm $1 $4x$5 failed" >&2
}
shapes=("4 1" "64 1" "4 16")
first_warm=$((4 * requests > 300000 ? 4 * requests : 300000))
warm=$first_warm
for s in "${shapes[@]}"; do
    set -- $s
    for p in "${proxies[@]}"; do
        set -- $p $s
        storm "$1" "$2" "${pid[$1]}" "$6" "$7" "$warm"
    done
    set -- $s
    storm nginx 19303 "$(with_children "$nginx_master")" "$1" "$2" $((requests / 5))
    warm=$((requests / 5))
done
rejections=$(for p in "${proxies[@]}"; do set -- $p; curl -s "http://127.0.0.1:$3/metrics"; done \
    | awk '/^tokentap_rejections_total\{/ {s += $2} END {printf "%.0f", s}')

echo "### Rejected-request cost"
echo
echo "Whole-process CPU per request answered 429 (user + system, from /proc), median of 3 storms of $requests requests"
echo "(range) and the user / system split of the median storm, after a warm-up storm of $first_warm before the first"
echo "shape and of $((requests / 5)) before each other one; tokentap \`proxy\` (-Xmx512m) rejecting by its per-tenant"
echo "rate limit, on epoll (the default) and on io_uring (\`-Dtokentap.transport=io_uring\`, where the kernel allows it)"
echo "with its default event loops (one per processor, $(nproc) here) and with one (\`--event-loops 1\`), as the rows say;"
echo "nginx \`return 429\` from one worker; the same client and requests. \"/ nginx\": the median over nginx's median in"
echo "the same shape."
echo
header="| server"; rule="|---"
for s in "${shapes[@]}"; do
    set -- $s
    label="1 request per write, $1 connections"; (($2 > 1)) && label="$2 pipelined per write, $1 connections"
    header+=" | $label: µs | user / sys | / nginx"; rule+="|---|---|---"
done
echo "$header |"; echo "$rule|"
# The user / system split of a storm file's median round.
median_split() {
    awk -v m="$(kv "$1" cpu_us_median)" '/^round=/ {for (i = 1; i <= NF; i++) {split($i, kv, "="); f[kv[1]] = kv[2]}
        if (f["cpu_us"] == m) {printf "%s / %s", f["cpu_user_us"], f["cpu_sys_us"]; exit}}' "$1"
}
ratio() { awk -v a="$(kv "$1" cpu_us_median)" -v b="$(kv "$2" cpu_us_median)" 'BEGIN {printf "%.2f", a / b}'; }
row() { # row NAME LABEL
    local name=$1 line="| $2"
    for s in "${shapes[@]}"; do
        set -- $s
        f="$out/reject-$name-$1x$2.txt"; n="$out/reject-nginx-$1x$2.txt"
        line+=" | $(kv "$f" cpu_us_median) ($(kv "$f" cpu_us_min)-$(kv "$f" cpu_us_max)) | $(median_split "$f") | $(ratio "$f" "$n")"
    done
    echo "$line |"
}
for p in "${proxies[@]}"; do
    set -- $p
    label="tokentap, $4, "; if (($5 > 0)); then label+="$5 event loop"; else label+="default event loops"; fi
    row "$1" "$label"
done
row nginx "nginx, 1 worker"
echo
not429=$(for p in "${proxies[@]}"; do set -- $p; cat "$out/reject-$1"-*.txt; done \
    | awk -F= '$1 == "not_429" {s += $2} END {print s + 0}')
ok_shapes() { cat "$out/reject-$1"-*.txt | grep -c '^rejected_ok=true'; } # ok_shapes NAME
ok=""; for p in "${proxies[@]}"; do set -- $p; ok+="$1 $(ok_shapes "$1") of 3, "; done
echo "- shapes where every measured response was a 429 (but for the one request a minute the limit lets through):"\
     "${ok}nginx $(ok_shapes nginx) of 3; the ${#proxies[@]} tokentap proxies let $not429 measured"\
     "requests through and counted $rejections rejections (reason \`rate\`) in \`tokentap_rejections_total\`."
