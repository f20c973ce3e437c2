# Sourced by bench/tunnel/run: iperf3 runs through the system that is up (client in A, server in B), with the
# tunnel processes' CPU and ping under load; and the memory run (RouterHost's RSS over a long transfer).

readonly iperf_port=5201
clk_tck=$(getconf CLK_TCK)
server_pid=''
ping_pid=''

# Stops what a measurement left running when it failed half-way: the iperf3 server and the ping under load.
stop_measurement() {
    if [ -n "$server_pid" ]; then
        stop_pid "$server_pid" 5 || true
    fi
    if [ -n "$ping_pid" ]; then
        stop_pid "$ping_pid" 1 || true
    fi
    server_pid='' ping_pid=''
}

# A one-off iperf3 server in B, listening when this returns; its pid is left in server_pid.
iperf_server() {
    stop_measurement
    spawn "$ns_b" "iperf3 server" "$tmp/iperf3-server.log" iperf3 -s -1 -p "$iperf_port"
    server_pid=$spawned_pid
    if ! wait_until 5 eval "ip netns exec $ns_b ss -Hltn 'sport = :$iperf_port' | grep -q . || ! pid_alive $server_pid"; then
        problem "the iperf3 server in $ns_b is not listening after 5 s:$(log_tail "$tmp/iperf3-server.log")"
        return 1
    fi
    require_alive "$server_pid" "the iperf3 server in $ns_b"
}

# iperf_client SECONDS STREAMS JSON: the client in A against target, watched: when a tunnel process exits, the
# client is stopped at once (status 125); one still running 30 s after its time is stopped by timeout (124).
iperf_client() {
    ip netns exec "$ns_a" timeout -k 5 $(($1 + 30)) iperf3 -c "$target" -p "$iperf_port" -t "$1" -P "$2" -J \
        --connect-timeout 5000 >"$3" 2>"$tmp/iperf3-client.err" </dev/null 8>&- 9>&- &
    local pid=$! i
    procs[$pid]="iperf3 client"
    while pid_alive "$pid"; do
        for i in "${!tunnel_pids[@]}"; do
            if ! pid_alive "${tunnel_pids[$i]}"; then
                stop_pid "$pid" 2 || true
                return 125
            fi
        done
        sleep 0.2
    done
    local rc=0
    wait "$pid" || rc=$?
    unset "procs[$pid]"
    return $rc
}

# Why an iperf3 run failed: its JSON error, its stderr, and whether the tunnel processes still run.
iperf_failure() {
    local sys=$1 json=$2 rc=$3 text i
    text=$(jq -r '.error // empty' "$json" 2>/dev/null || true)
    [ -n "$text" ] || text=$(head -c 500 "$tmp/iperf3-client.err")
    [ "$rc" -ne 124 ] || text="timed out ($text)"
    [ "$rc" -ne 125 ] || text="a tunnel process exited during the transfer"
    for i in "${!tunnel_pids[@]}"; do
        pid_alive "${tunnel_pids[$i]}" || text="$text; ${tunnel_names[$i]} exited:$(log_tail "${proc_logs[${tunnel_pids[$i]}]}")"
    done
    problem "iperf3 through $sys failed (exit $rc): $text"
}

# An unmeasured transfer after each bring-up, so every system is measured warm (JIT-compiled, caches filled).
warmup_run() {
    local sys=$1 rc=0
    [ "$warmup" -gt 0 ] || return 0
    iperf_server || return 1
    iperf_client "$warmup" 1 "$tmp/warmup.json" || rc=$?
    stop_measurement
    [ $rc -eq 0 ] || iperf_failure "$sys" "$tmp/warmup.json" $rc
}

# Kernel drop counters, to tell where packets behind retransmits were lost: "UDP-receive-buffer errors in A, in B,
# drops of the tunnel device (packets the kernel could not queue to the tunnel process, or took from it) in A, in B,
# drops on the veth ends, softnet backlog drops (machine-wide: every namespace and everything else running)".
kernel_drops() {
    local ns udp devices underlay=0 softnet=0 d
    local -a out=()
    for ns in "$ns_a" "$ns_b"; do
        udp=$(ip netns exec "$ns" cat /proc/net/snmp | awk '$1 == "Udp:" { if (h) { print $6; exit } h = 1 }')
        read -r devices d < <(ip -n "$ns" -j -s link show | jq -r '[([.[] | select(.ifname != "lo" and .ifname != "ul0") |
            .stats64.rx.dropped + .stats64.tx.dropped] | add // 0), ([.[] | select(.ifname == "ul0") |
            .stats64.rx.dropped + .stats64.tx.dropped] | add // 0)] | @tsv')
        out+=("${udp:-0}" "${devices:-0}")
        underlay=$((underlay + ${d:-0}))
    done
    while read -r _ d _; do
        softnet=$((softnet + 16#$d))
    done </proc/net/softnet_stat
    printf '%s %s %s %s %s %s' "${out[0]}" "${out[2]}" "${out[1]}" "${out[3]}" "$underlay" "$softnet"
}

# thread_ticks PID: "name<TAB>ticks" per thread name of PID (user+system CPU; threads of one name summed). RouterHost
# names its threads after their work ("rh tun/q0", "rh stage/wg/q1", "rh wg/handshake").
thread_ticks() {
    local task stat name
    local -A sum=()
    for task in /proc/"$1"/task/[0-9]*; do
        { read -r name <"$task/comm" && read -r stat <"$task/stat"; } 2>/dev/null || continue
        stat=${stat##*) }
        local -a f
        read -r -a f <<<"$stat"
        sum[$name]=$((${sum[$name]:-0} + f[11] + f[12]))
    done
    for name in "${!sum[@]}"; do
        printf '%s\t%s\n' "$name" "${sum[$name]}"
    done
}

# measure_run SYSTEM STREAMS ROUND: one measured iperf3 run; appends a row to runs.tsv (columns in its header) and,
# for single-stream runs, the ping RTTs (ms, one a line) to ping/SYSTEM-P1-rROUND.txt.
measure_run() {
    local sys=$1 streams=$2 round=$3
    local tag="$sys-P$streams-r$round"
    local json="$run_dir/iperf/$tag.json" i rc=0
    iperf_server || return 1
    local -a drops0 drops1
    read -r -a drops0 < <(kernel_drops)

    local -a before=()
    for i in "${!tunnel_pids[@]}"; do
        thread_ticks "${tunnel_pids[$i]}" >"$tmp/threads-$i.before"
        before[i]=$(cpu_ticks "${tunnel_pids[$i]}") || { require_alive "${tunnel_pids[$i]}" "${tunnel_names[$i]}"; return 1; }
    done
    local busy0 soft0 busy1 soft1
    read -r busy0 soft0 < <(machine_ticks)

    if [ "$streams" -eq 1 ]; then
        local count
        count=$(awk -v d="$duration" -v i="$ping_interval" 'BEGIN { c = int((d - 1) / i); print (c < 1 ? 1 : c) }')
        spawn "$ns_a" "ping under load" "$tmp/ping.txt" \
            sh -c "sleep 0.5; exec ping -n -i $ping_interval -c $count -W 1 $target"
        ping_pid=$spawned_pid
    fi

    local start_us
    start_us=$(now_us)
    iperf_client "$duration" "$streams" "$json" || rc=$?
    local wall_us=$(($(now_us) - start_us))

    local cpu=0 after
    for i in "${!tunnel_pids[@]}"; do
        after=$(cpu_ticks "${tunnel_pids[$i]}") || { require_alive "${tunnel_pids[$i]}" "${tunnel_names[$i]}"; return 1; }
        cpu=$((cpu + after - before[i]))
        thread_ticks "${tunnel_pids[$i]}" >"$tmp/threads-$i.after"
    done
    read -r busy1 soft1 < <(machine_ticks)
    read -r -a drops1 < <(kernel_drops)

    local sent=0 received=0
    if [ -n "$ping_pid" ]; then
        wait_until 5 eval "! pid_alive $ping_pid" || true
        stop_pid "$ping_pid" 1 || true
        ping_pid=''
        grep -o 'time=[0-9.]*' "$tmp/ping.txt" | cut -d= -f2 >"$run_dir/ping/$tag.txt" || true
        read -r sent received < <(awk '/packets transmitted/ { print $1, $4 }' "$tmp/ping.txt")
        : "${sent:=0}" "${received:=0}"
    fi
    stop_measurement

    if [ $rc -ne 0 ] || [ -n "$(jq -r '.error // empty' "$json" 2>/dev/null)" ]; then
        iperf_failure "$sys" "$json" "$rc"
        return 1
    fi
    local bits bytes retransmits
    read -r bits bytes retransmits < <(jq -r '[.end.sum_received.bits_per_second, .end.sum_received.bytes, (.end.sum_sent.retransmits // 0)] | @tsv' "$json")
    if [ -z "$bytes" ] || [ "${bytes%.*}" -eq 0 ]; then
        problem "iperf3 through $sys moved no data (see $json)"
        return 1
    fi
    printf '%s\t%d\t%d\t%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d' "$sys" "$streams" "$round" "$duration" \
        "$bits" "${bytes%.*}" "$retransmits" "$cpu" $((busy1 - busy0)) $((soft1 - soft0)) "$wall_us" \
        "$sent" "$received" "$clk_tck" >>"$run_dir/runs.tsv"
    for i in "${!drops0[@]}"; do
        printf '\t%d' $((drops1[i] - drops0[i])) >>"$run_dir/runs.tsv"
    done
    printf '\n' >>"$run_dir/runs.tsv"
    # CPU per thread name and side.
    for i in "${!tunnel_pids[@]}"; do
        awk -F'\t' -v OFS='\t' -v pre="$sys\t$streams\t$round\t${tunnel_sides[$i]}\t$duration\t$clk_tck" '
            NR == FNR { b[$1] = $2; next }
            { d = $2 - b[$1]; if (d > 0) print pre, $1, d }' "$tmp/threads-$i.before" "$tmp/threads-$i.after" >>"$run_dir/threads.tsv"
    done
    log "    $(system_label "$sys"), $streams stream(s): $(awk -v b="$bits" 'BEGIN { printf "%.2f", b / 1e9 }') Gbit/s, $retransmits retransmits"
}

runs_header() {
    printf 'system\tstreams\tround\tseconds\tbits_per_second\tbytes\tretransmits\ttunnel_cpu_ticks\tmachine_busy_ticks\tsoftirq_ticks\twall_us\tping_sent\tping_received\tclk_tck'
    printf '\tudp_rcvbuf_errors_a\tudp_rcvbuf_errors_b\ttunnel_device_drops_a\ttunnel_device_drops_b\tunderlay_drops\tsoftnet_drops\n'
}

# status_line PID: "rss_kib anon_kib threads" from /proc/PID/status.
status_line() {
    awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } /^Threads:/ { t = $2 } END { print r + 0, a + 0, t + 0 }' "/proc/$1/status" 2>/dev/null
}

memory_sample() {
    local t=$1 pa=${tunnel_pids[0]} pb=${tunnel_pids[1]} ra rb
    if [ "${tunnel_sides[0]}" = B ]; then
        pa=${tunnel_pids[1]} pb=${tunnel_pids[0]}
    fi
    if ! ra=$(status_line "$pa") || ! rb=$(status_line "$pb") || ! pid_alive "$pa" || ! pid_alive "$pb"; then
        require_alive "$pa" "routerhost in $ns_a" || return 1
        require_alive "$pb" "routerhost in $ns_b" || return 1
        problem "cannot read /proc/$pa/status or /proc/$pb/status"
        return 1
    fi
    printf '%s\t%s\t%s\n' "$t" "${ra// /$'\t'}" "${rb// /$'\t'}" >>"$run_dir/memory.tsv"
}

# The memory run: RouterHost (offloads on) carries one continuous iperf3 transfer for memory_seconds while both
# nodes' RSS is sampled every memory_interval seconds (the first sample before any traffic).
memory_run() {
    log_tag=memory
    log "memory run: RouterHost, $memory_streams stream(s) for $memory_seconds s, RSS every $memory_interval s"
    system_up routerhost || die "RouterHost did not come up for the memory run"
    printf 't_s\trss_a_kib\tanon_a_kib\tthreads_a\trss_b_kib\tanon_b_kib\tthreads_b\n' >"$run_dir/memory.tsv"
    memory_sample 0 || die "cannot read RouterHost's memory: $problem_text"
    local -a before=()
    local i
    for i in 0 1; do
        before[i]=$(cpu_ticks "${tunnel_pids[$i]}")
    done
    iperf_server || die "$problem_text"
    local json="$run_dir/iperf/memory.json"
    spawn "$ns_a" "iperf3 client (memory run)" "$json" timeout -k 5 $((memory_seconds + 60)) \
        iperf3 -c "$target" -p "$iperf_port" -t "$memory_seconds" -P "$memory_streams" -J --connect-timeout 5000
    local client=$spawned_pid start_us next t
    start_us=$(now_us)
    next=$memory_interval
    while pid_alive "$client"; do
        t=$((($(now_us) - start_us) / 1000000))
        if [ "$t" -ge "$next" ]; then
            memory_sample "$t" || die "RouterHost failed during the memory run: $problem_text"
            next=$((next + memory_interval))
        fi
        sleep 0.5
    done
    local rc=0
    wait "$client" || rc=$?
    unset "procs[$client]"
    memory_sample $((($(now_us) - start_us) / 1000000)) || die "RouterHost failed during the memory run: $problem_text"
    local cpu=0
    for i in 0 1; do
        cpu=$((cpu + $(cpu_ticks "${tunnel_pids[$i]}") - before[i]))
    done
    stop_measurement
    if [ $rc -ne 0 ] || [ -n "$(jq -r '.error // empty' "$json" 2>/dev/null)" ]; then
        iperf_failure routerhost "$json" "$rc" || true
        die "the memory run's transfer failed"
    fi
    memory_cpu_ticks=$cpu
    routerhost_status routerhost
    system_down routerhost || true
}
