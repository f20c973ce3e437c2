# Sourced by bench/tunnel/run (--peers): many active peers. A RouterHost hub in namespace A and N wireguard-go
# peers in namespace B (the kernel here has no WireGuard module; wireguard-go is the peer every system can run), each
# its own device, UDP port and overlay address (10.201.0.i, source-routed to its own device), each carrying one TCP
# flow (iperf3) to the hub at the same time; then the same with one peer alone, in the same run. Reported: the sum of
# the N flows over the single peer's figure, and where each row's CPU went (the hub, the wireguard-go peers, the iperf3
# ends, softirq, the whole machine), so a row bounded by its generators shows as such. PEERS_PERF=1 also records the
# hub with `perf record -g` during each row (DOTNET_PerfMapEnabled=1 and W^X off so the JIT's frames have names).

peers_count=100
# Who plays the peers: storm (default: bench/HandshakeStorm, all N peers in one process sending one UDP packet per
# sendto, round robin, the same generator and CPU per packet in both rows; counted by bench/RateGen at the hub's side)
# or wireguard-go (N processes, one iperf3 TCP flow each: the generators' own cost grows with N).
peers_generator=storm

# peers_hub_config N: the hub with N peers (endpoints known: the hub may send first).
peers_hub_config() {
    local n=$1 i
    {
        printf '{\n  "Control": { "Socket": "%s" },\n' "$tmp/peers/hub.sock"
        printf '  "Pipeline": { "Stages": [\n'
        printf '    { "Type": "Routing", "Settings": { "Routes": [ { "Destination": "10.200.0.1/32", "Interface": "tun" } ] } },\n'
        printf '    { "Type": "WireGuard", "Name": "wg", "Settings": {\n'
        printf '        "PrivateKeyFile": "%s", "ListenPort": 51820, "ListenAddresses": [ "%s" ], "Sockets": 2,\n' "$tmp/peers/hub.key" "$underlay_a"
        printf '        "Peers": {\n'
        for ((i = 0; i < n; i++)); do
            printf '          "p%d": { "PublicKey": "%s", "Endpoint": "%s:%d", "AllowedIPs": [ "10.201.%d.%d/32" ] }%s\n' \
                "$i" "$(cat "$tmp/peers/p$i.pub")" "$underlay_b" $((21000 + i)) $(((i + 1) >> 8)) $(((i + 1) & 255)) "$([ $((i + 1)) -lt "$n" ] && echo ,)"
        done
        printf '        } } } ] },\n'
        printf '  "Interfaces": { "tun": { "Backend": "LinuxTun", "Settings": { "DeviceName": "rhpe0", "Mtu": %d, "Queues": 2, "Addresses": [ "10.200.0.1/8" ] } } }\n}\n' "$overlay_mtu"
    } >"$tmp/peers/hub.json"
}

# peers_up N: the hub and N wireguard-go peers; their pids in peers_pids.
peers_up() {
    local n=$1 i dev pid addr
    peers_pids=()
    mkdir -p "$tmp/peers"
    [ -s "$tmp/peers/hub.key" ] || (umask 077 && dotnet "$rh_dll" genkey >"$tmp/peers/hub.key") || problem "routerhost genkey failed" || return 1
    dotnet "$rh_dll" pubkey <"$tmp/peers/hub.key" >"$tmp/peers/hub.pub" || return 1
    for ((i = 0; i < n; i++)); do
        [ -s "$tmp/peers/p$i.key" ] || (umask 077 && wg genkey >"$tmp/peers/p$i.key") || problem "wg genkey failed" || return 1
        wg pubkey <"$tmp/peers/p$i.key" >"$tmp/peers/p$i.pub"
    done
    peers_hub_config "$n"
    spawn "$ns_a" "routerhost hub ($n peers)" "$run_dir/logs/peers-$n-hub.log" env DOTNET_PerfMapEnabled="${PEERS_PERF:-0}" DOTNET_EnableWriteXorExecute=$((1 - ${PEERS_PERF:-0})) \
        dotnet "$rh_dll" run --config "$tmp/peers/hub.json"
    peers_pids+=("$spawned_pid")
    pid=$spawned_pid
    for ((i = 0; i < n; i++)); do
        dev="tbp$$-$i"
        dev=${dev:0:15}
        rm -f "/var/run/wireguard/$dev.sock"
        spawn "$ns_b" "wireguard-go peer $i" "$run_dir/logs/peers-$n-wg$i.log" env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 "$wggo_bin" -f "$dev"
        peers_pids+=("$spawned_pid")
    done
    wait_until 120 eval "grep -q 'RouterHost ready' '${proc_logs[$pid]}' || ! pid_alive $pid" && pid_alive "$pid" ||
        problem "the hub did not come up in 120 s:$(log_tail "${proc_logs[$pid]}")" || return 1
    for ((i = 0; i < n; i++)); do
        dev="tbp$$-$i"
        dev=${dev:0:15}
        addr="10.201.$(((i + 1) >> 8)).$(((i + 1) & 255))"
        wait_until 20 test -S "/var/run/wireguard/$dev.sock" || problem "wireguard-go peer $i did not come up" || return 1
        ip netns exec "$ns_b" wg set "$dev" private-key "$tmp/peers/p$i.key" listen-port $((21000 + i)) \
            peer "$(cat "$tmp/peers/hub.pub")" allowed-ips 10.200.0.1/32 endpoint "$underlay_a:51820" || problem "wg set $dev failed" || return 1
        ip -n "$ns_b" link set "$dev" mtu "$overlay_mtu" up && ip -n "$ns_b" addr add "$addr/32" dev "$dev" &&
            ip -n "$ns_b" rule add from "$addr" table $((1000 + i)) && ip -n "$ns_b" route add 10.200.0.1/32 dev "$dev" table $((1000 + i)) ||
            problem "could not address $dev" || return 1
    done
    for ((i = 0; i < n; i++)); do
        addr="10.201.$(((i + 1) >> 8)).$(((i + 1) & 255))"
        wait_until 20 ip netns exec "$ns_b" ping -c 1 -W 1 -I "$addr" 10.200.0.1 >/dev/null || problem "no ping from peer $i ($addr) to the hub in 20 s" || return 1
    done
}

peers_down() {
    local pid
    for pid in "${peers_pids[@]}"; do stop_pid "$pid" 5 || true; done
    peers_pids=()
}

# peers_thread_ticks PID: "tid name ticks" per thread of PID, one a line.
peers_thread_ticks() {
    local t stat
    for t in /proc/"$1"/task/*; do
        stat=$(cat "$t/stat" 2>/dev/null) || continue
        local comm=${stat#*(}
        comm=${comm%%) *}
        printf '%s %s %s\n' "${t##*/}" "${comm// /_}" "$(cpu_ticks "${t#/proc/}" 2>/dev/null || echo 0)"
    done
}

# peers_ticks: the ticks so far of the hub, of every wireguard-go peer, and the machine's busy and softirq ticks.
peers_ticks() {
    local pid wg=0 t
    for pid in "${peers_pids[@]:1}"; do
        t=$(cpu_ticks "$pid" 2>/dev/null) || t=0
        wg=$((wg + t))
    done
    printf '%s %s %s' "$(cpu_ticks "${peers_pids[0]}" 2>/dev/null || echo 0)" "$wg" "$(machine_ticks)"
}

# peers_measure N: N iperf3 flows at once (peer i to the hub's server on port 5301+i); on stdout the sum in Gbit/s, the
# flows that moved data, then CPU seconds of the row: hub, wireguard-go (all), iperf3 clients, iperf3 servers, softirq,
# machine busy. The hub's per-thread CPU seconds go to status/peers-N-hub-threads.txt.
peers_measure() {
    local n=$1 i addr before after perf_pid='' hz
    local -a servers=() clients=()
    hz=$(getconf CLK_TCK)
    for ((i = 0; i < n; i++)); do
        spawn "$ns_a" "iperf3 server $i" "$run_dir/iperf/peers-$n-server-$i.log" iperf3 -s -1 -p $((5301 + i))
        servers+=("$spawned_pid")
    done
    wait_until 10 eval "[ \$(ip netns exec $ns_a ss -ltn | grep -c ':5[3-4][0-9][0-9] ') -ge $n ]" || true
    peers_thread_ticks "${peers_pids[0]}" >"$tmp/peers/threads-before"
    before=$(peers_ticks)
    if [ "${PEERS_PERF:-0}" = 1 ]; then
        perf record -g -F 499 -p "${peers_pids[0]}" -o "$run_dir/status/perf-peers-$n-hub.data" -- sleep "$duration" \
            >"$run_dir/logs/perf-peers-$n.log" 2>&1 &
        perf_pid=$!
    fi
    for ((i = 0; i < n; i++)); do
        addr="10.201.$(((i + 1) >> 8)).$(((i + 1) & 255))"
        spawn "$ns_b" "iperf3 client $i" "$run_dir/iperf/peers-$n-$i.json" timeout -k 5 $((duration + 30)) \
            iperf3 -c 10.200.0.1 -p $((5301 + i)) -B "$addr" -t "$duration" -J --connect-timeout 10000
        clients+=("$spawned_pid")
    done
    for i in "${clients[@]}"; do wait "$i" 2>/dev/null || true; unset "procs[$i]" "proc_logs[$i]"; done
    after=$(peers_ticks)
    peers_thread_ticks "${peers_pids[0]}" >"$tmp/peers/threads-after"
    for i in "${servers[@]}"; do wait "$i" 2>/dev/null || true; unset "procs[$i]" "proc_logs[$i]"; done
    [ -z "$perf_pid" ] || wait "$perf_pid" 2>/dev/null || true
    awk -v hz="$hz" 'NR == FNR { b[$1] = $3; next } { d = $3 - b[$1]; if (d > 0) printf "%-8s %-20s %.2f\n", $1, $2, d / hz }' \
        "$tmp/peers/threads-before" "$tmp/peers/threads-after" | sort -k3 -rn >"$run_dir/status/peers-$n-hub-threads.txt" || true
    for ((i = 0; i < n; i++)); do
        jq -r '[.end.sum_received.bits_per_second // 0, .end.cpu_utilization_percent.host_total // 0,
                .end.cpu_utilization_percent.remote_total // 0] | @tsv' "$run_dir/iperf/peers-$n-$i.json" 2>/dev/null || echo "0 0 0"
    done | awk -v d="$duration" -v hz="$hz" -v b="$before" -v a="$after" '
        { s += $1; if ($1 > 0) ok++; c += $2 * d / 100; r += $3 * d / 100 }
        END {
            split(b, x, " "); split(a, y, " ")
            printf "%.3f %d %.1f %.1f %.1f %.1f %.1f %.1f\n", s / 1e9, ok, (y[1] - x[1]) / hz, (y[2] - x[2]) / hz, c, r,
                (y[4] - x[4]) / hz, (y[3] - x[3]) / hz
        }'
}

# peers_row PEERS "SUM OK HUB WG CLIENTS SERVERS SOFTIRQ BUSY" LOAD: one row of the table.
peers_row() {
    local -a f
    read -r -a f <<<"$2"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "${f[1]}" "${f[0]}" "${f[2]}" "${f[3]}" "${f[4]}" "${f[5]}" "${f[6]}" "${f[7]}" "$3"
}

# peers_storm_config: $tmp/pstorm/hub.json, the hub with every generated peer (no endpoints: they reach it first).
peers_storm_config() {
    cat >"$tmp/pstorm/hub.json" <<JSON
{
  "Control": { "Socket": "$tmp/pstorm/hub.sock" },
  "Pipeline": { "Stages": [
    { "Type": "Routing", "Settings": { "Routes": [ { "Destination": "10.200.0.1/32", "Interface": "tun" } ] } },
    { "Type": "WireGuard", "Name": "wg", "Settings": {
        "PrivateKeyFile": "$tmp/pstorm/hub.key", "ListenPort": 51820, "ListenAddresses": [ "$underlay_a" ], "Sockets": 2,
        "Peers": $(cat "$tmp/pstorm/peers.json") } } ] },
  "Interfaces": { "tun": { "Backend": "LinuxTun", "Settings": { "DeviceName": "rhpe0", "Mtu": $overlay_mtu, "Queues": 2, "Addresses": [ "10.200.0.1/24" ] } } }
}
JSON
}

# peers_storm_row N: one row with the storm generator: a fresh hub (all peers configured), the counter in A, then N
# peers handshake and send for $duration s. On stdout as peers_measure: Gbit/s of inner packets counted, peers that
# sent, CPU s of hub, generator, counter, the hub's CPU s per GB counted, softirq, machine busy; then sent and counted
# datagrams.
peers_storm_row() {
    local n=$1 hub counter gen before after hz gen_ticks=0 t size=1400 out perf_pid='' counter_ticks
    hz=$(getconf CLK_TCK)
    peers_pids=()
    spawn "$ns_a" "routerhost hub (storm, $n active)" "$run_dir/logs/peers-$n-hub.log" env DOTNET_PerfMapEnabled="${PEERS_PERF:-0}" DOTNET_EnableWriteXorExecute=$((1 - ${PEERS_PERF:-0})) \
        dotnet "$rh_dll" run --config "$tmp/pstorm/hub.json"
    hub=$spawned_pid
    peers_pids+=("$hub")
    wait_until 120 eval "grep -q 'RouterHost ready' '${proc_logs[$hub]}' || ! pid_alive $hub" && pid_alive "$hub" ||
        problem "the hub did not come up in 120 s:$(log_tail "${proc_logs[$hub]}")" || return 1
    spawn "$ns_a" "counter" "$run_dir/iperf/peers-$n-counter.txt" dotnet "$peers_rategen" receive --port 5201 \
        --seconds $((duration + 120)) --idle 2 --after "$duration"
    counter=$spawned_pid
    sleep 1
    peers_thread_ticks "$hub" >"$tmp/peers/threads-before"
    before="$(cpu_ticks "$hub") $(cpu_ticks "$counter" 2>/dev/null || echo 0) $(machine_ticks)"
    counter_ticks=${before#* }
    counter_ticks=${counter_ticks%% *}
    if [ "${PEERS_PERF:-0}" = 1 ]; then
        perf record -g -F 499 -p "$hub" -o "$run_dir/status/perf-peers-$n-hub.data" -- sleep "$duration" \
            >"$run_dir/logs/perf-peers-$n.log" 2>&1 &
        perf_pid=$!
    fi
    out="$run_dir/iperf/peers-$n-generator.txt"
    spawn "$ns_b" "generator ($n peers)" "$out" dotnet "$storm_tool_dir/HandshakeStorm.dll" run --dir "$tmp/pstorm" --peers "$n" \
        --hub "$underlay_a:51820" --bind "$underlay_b" --timeout 60 --data-seconds "$duration" --data-to 10.200.0.1:5201 --data-size "$size"
    gen=$spawned_pid
    # Both end on their own: their CPU is read while they live (the last reading stands).
    while pid_alive "$gen" || pid_alive "$counter"; do
        t=$(cpu_ticks "$gen" 2>/dev/null) && gen_ticks=$t
        t=$(cpu_ticks "$counter" 2>/dev/null) && counter_ticks=$t
        sleep 0.5
    done
    wait "$gen" 2>/dev/null || true
    wait "$counter" 2>/dev/null || true
    unset "procs[$gen]" "proc_logs[$gen]" "procs[$counter]" "proc_logs[$counter]"
    after="$(cpu_ticks "$hub") $counter_ticks $(machine_ticks)"
    peers_thread_ticks "$hub" >"$tmp/peers/threads-after"
    [ -z "$perf_pid" ] || wait "$perf_pid" 2>/dev/null || true
    awk -v hz="$hz" 'NR == FNR { b[$1] = $3; next } { d = $3 - b[$1]; if (d > 0) printf "%-8s %-20s %.2f\n", $1, $2, d / hz }' \
        "$tmp/peers/threads-before" "$tmp/peers/threads-after" | sort -k3 -rn >"$run_dir/status/peers-$n-hub-threads.txt" || true
    dotnet "$rh_dll" show --socket "$tmp/pstorm/hub.sock" --json >"$run_dir/status/peers-$n-hub.json" 2>&1 || true
    stop_pid "$hub" 5 || true
    peers_pids=()
    grep -q 'data_sent=' "$out" || problem "the generator sent no data ($n peers): $(tail -n 2 "$out")" || return 1
    awk -v d="$duration" -v hz="$hz" -v b="$before" -v a="$after" -v g="$gen_ticks" -v size="$size" -v n="$n" '
        /=/ { for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) v[kv[1]] = kv[2] }
        END {
            split(b, x, " "); split(a, y, " ")
            gb = v["received"] * size / 1e9
            printf "%.3f %d %.1f %.1f %.1f %.1f %.1f %.1f %d %d\n", gb * 8 / v["data_seconds"],
                v["data_peers"] == n ? n : 0, (y[1] - x[1]) / hz, g / hz, (y[2] - x[2]) / hz, (gb > 0 ? (y[1] - x[1]) / hz / gb : 0),
                (y[4] - x[4]) / hz, (y[3] - x[3]) / hz, v["data_sent"], v["received"]
        }' "$out" "$run_dir/iperf/peers-$n-counter.txt"
}

# peers_storm_run: the storm generator's rows, N active peers then one; writes peers.md.
peers_storm_run() {
    local many one load_many load_one
    storm_build
    peers_rategen="$repo/bench/RateGen/bin/Release/net10.0/rategen.dll"
    if [ "$build" -eq 1 ]; then
        dotnet build "$repo/bench/RateGen/RateGen.csproj" -c Release -nologo -clp:ErrorsOnly -v:q >/dev/null ||
            die "the rate generator's build failed: dotnet build bench/RateGen -c Release"
    fi
    [ -f "$peers_rategen" ] || die "no counter at $peers_rategen (build it: dotnet build bench/RateGen -c Release)"
    mkdir -p "$tmp/pstorm" "$tmp/peers"
    dotnet "$storm_tool_dir/HandshakeStorm.dll" generate --peers "$peers_count" --dir "$tmp/pstorm" >/dev/null ||
        die "HandshakeStorm generate failed"
    peers_storm_config
    load_many=$(load_average)
    log "peers: $peers_count peers send at once, one generator (load $load_many)"
    many=$(peers_storm_row "$peers_count") || return 1
    load_one=$(load_average)
    log "peers: one peer alone, the same generator (load $load_one)"
    one=$(peers_storm_row 1) || return 1
    {
        printf '## Many active peers: %s peers played by one generator (bench/HandshakeStorm) against one RouterHost hub (%s)\n\n' "$peers_count" "$(date '+%Y-%m-%d %H:%M')"
        printf 'Command: `%s`; RouterHost commit %s; %s s of data, 1400-byte IPv4/UDP packets, datagram k from peer k %% N,\n' "$command_line" "$rh_commit" "$duration"
        printf 'one sendto each, as fast as one thread can; the hub (all %s peers configured, restarted per row) delivers\n' "$peers_count"
        printf 'them through its TUN to bench/RateGen counting in A.\n\n'
        printf '| active peers | peers | Gbit/s counted | CPU s: hub | generator | counter | hub CPU s/GB | softirq | machine busy | sent | counted | load at start |\n'
        printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n'
        local row
        for row in "$peers_count|$many|$load_many" "1|$one|$load_one"; do
            local -a f
            read -r -a f <<<"$(cut -d'|' -f2 <<<"$row")"
            printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${row%%|*}" "${f[1]}" "${f[0]}" "${f[2]}" "${f[3]}" "${f[4]}" "${f[5]}" "${f[6]}" "${f[7]}" "${f[8]}" "${f[9]}" "${row##*|}"
        done
        printf '\nCPU seconds over each row; softirq and machine busy are the whole machine (other work included).\n'
        printf 'Busiest hub threads: status/peers-N-hub-threads.txt.\n\n'
        awk -v a="${many%% *}" -v b="${one%% *}" 'BEGIN { if (b > 0) printf "Ratio %s peers ÷ 1 peer: %.2f×\n", "'"$peers_count"'", a / b }'
    } >"$run_dir/peers.md"
}

# peers_run: N peers at once, then one peer alone; writes peers.md.
peers_run() {
    if [ "$peers_generator" = storm ]; then
        peers_storm_run
        return
    fi

    local many one load_many load_one
    peers_up "$peers_count" || return 1
    load_many=$(load_average)
    log "peers: $peers_count flows at once (load $load_many)"
    many=$(peers_measure "$peers_count")
    dotnet "$rh_dll" show --socket "$tmp/peers/hub.sock" --json >"$run_dir/status/peers-$peers_count-hub.json" 2>&1 || true
    peers_down
    peers_up 1 || return 1
    load_one=$(load_average)
    log "peers: one flow alone (load $load_one)"
    one=$(peers_measure 1)
    peers_down
    {
        printf '## Many active peers: %s wireguard-go peers x 1 TCP flow each against one RouterHost hub (%s)\n\n' "$peers_count" "$(date '+%Y-%m-%d %H:%M')"
        printf 'Command: `%s`; RouterHost commit %s; %s s flows.\n\n' "$command_line" "$rh_commit" "$duration"
        printf '| peers | flows that moved data | sum Gbit/s | CPU s: hub | wireguard-go | iperf3 clients | iperf3 servers | softirq | machine busy | load at start |\n'
        printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n'
        peers_row "$peers_count" "$many" "$load_many"
        peers_row 1 "$one" "$load_one"
        printf '\nCPU seconds over the %s s of each row; softirq and machine busy are the whole machine (other work included).\n' "$duration"
        printf 'Busiest hub threads: see status/peers-N-hub-threads.txt.\n\n'
        awk -v a="${many%% *}" -v b="${one%% *}" 'BEGIN { if (b > 0) printf "Ratio %s peers ÷ 1 peer: %.2f×\n", "'"$peers_count"'", a / b }'
    } >"$run_dir/peers.md"
}
