# Sourced by bench/tunnel/run (--peers): many active peers. A RouterHost hub in namespace A and N wireguard-go
# peers in namespace B (the kernel here has no WireGuard module; wireguard-go is the peer every system can run), each
# its own device, UDP port and overlay address (10.201.0.i, source-routed to its own device), each carrying one TCP
# flow (iperf3) to the hub at the same time; then the same with one peer alone, in the same run. Reported: the sum of
# the N flows over the single peer's figure.

peers_count=100

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
                "$i" "$(cat "$tmp/peers/p$i.pub")" "$underlay_b" $((52000 + i)) $(((i + 1) >> 8)) $(((i + 1) & 255)) "$([ $((i + 1)) -lt "$n" ] && echo ,)"
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
    spawn "$ns_a" "routerhost hub ($n peers)" "$run_dir/logs/peers-$n-hub.log" dotnet "$rh_dll" run --config "$tmp/peers/hub.json"
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
        ip netns exec "$ns_b" wg set "$dev" private-key "$tmp/peers/p$i.key" listen-port $((52000 + i)) \
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

# peers_measure N: N iperf3 flows at once (peer i to the hub's server on port 5301+i); the sum in Gbit/s on stdout.
peers_measure() {
    local n=$1 i addr
    local -a servers=() clients=()
    for ((i = 0; i < n; i++)); do
        spawn "$ns_a" "iperf3 server $i" "$run_dir/iperf/peers-$n-server-$i.log" iperf3 -s -1 -p $((5301 + i))
        servers+=("$spawned_pid")
    done
    wait_until 10 eval "[ \$(ip netns exec $ns_a ss -ltn | grep -c ':5[3-4][0-9][0-9] ') -ge $n ]" || true
    for ((i = 0; i < n; i++)); do
        addr="10.201.$(((i + 1) >> 8)).$(((i + 1) & 255))"
        spawn "$ns_b" "iperf3 client $i" "$run_dir/iperf/peers-$n-$i.json" timeout -k 5 $((duration + 30)) \
            iperf3 -c 10.200.0.1 -p $((5301 + i)) -B "$addr" -t "$duration" -J --connect-timeout 10000
        clients+=("$spawned_pid")
    done
    for i in "${clients[@]}" "${servers[@]}"; do wait "$i" 2>/dev/null || true; unset "procs[$i]" "proc_logs[$i]"; done
    for ((i = 0; i < n; i++)); do jq -r '.end.sum_received.bits_per_second // 0' "$run_dir/iperf/peers-$n-$i.json" 2>/dev/null || echo 0; done |
        awk '{ s += $1; if ($1 > 0) ok++ } END { printf "%.3f %d\n", s / 1e9, ok }'
}

# peers_run: N peers at once, then one peer alone; writes peers.md.
peers_run() {
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
        printf '| peers | flows that moved data | sum Gbit/s | load at start |\n| ---: | ---: | ---: | --- |\n'
        printf '| %s | %s | %s | %s |\n' "$peers_count" "${many#* }" "${many%% *}" "$load_many"
        printf '| 1 | %s | %s | %s |\n\n' "${one#* }" "${one%% *}" "$load_one"
        awk -v a="${many%% *}" -v b="${one%% *}" 'BEGIN { if (b > 0) printf "Ratio %s peers ÷ 1 peer: %.2f×\n", "'"$peers_count"'", a / b }'
    } >"$run_dir/peers.md"
}
