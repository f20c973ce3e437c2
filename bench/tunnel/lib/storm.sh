# Sourced by bench/tunnel/run (--storm): the handshake storm. A RouterHost hub in namespace A with N peers configured
# (keys and config made by bench/HandshakeStorm), and the HandshakeStorm load generator in namespace B playing the N
# peers, each from its own UDP port on the underlay, all initiating at once. Measured: the time from the first
# initiation to the last completed handshake (each completed by a first transport message), the peers' retries and
# cookie replies, and the hub's own counters (cookie replies sent, handshake messages dropped). With --baseline the
# same storm is also run against the other build, in the same run.

storm_peers=1000
storm_tool_dir="$repo/bench/HandshakeStorm/bin/Release/net10.0"

# storm_build: builds the load generator (with the RouterHost build, unless --no-build).
storm_build() {
    if [ "$build" -eq 1 ]; then
        log "building bench/HandshakeStorm (Release)"
        dotnet build "$repo/bench/HandshakeStorm/HandshakeStorm.csproj" -c Release -nologo -clp:ErrorsOnly -v:q >/dev/null ||
            die "the HandshakeStorm build failed: dotnet build bench/HandshakeStorm -c Release"
    fi
    [ -f "$storm_tool_dir/HandshakeStorm.dll" ] || die "no load generator at $storm_tool_dir (build it: dotnet build bench/HandshakeStorm -c Release)"
}

# storm_config DLL: writes $tmp/storm/hub.json, the hub with every generated peer (no endpoints: they reach it first).
storm_config() {
    cat >"$tmp/storm/hub.json" <<JSON
{
  "Control": { "Socket": "$tmp/storm/hub.sock" },
  "Pipeline": { "Stages": [
    { "Type": "Routing", "Settings": { "Routes": [ { "Destination": "10.200.0.1/32", "Interface": "tun" } ] } },
    { "Type": "WireGuard", "Name": "wg", "Settings": {
        "PrivateKeyFile": "$tmp/storm/hub.key", "ListenPort": 51820, "ListenAddresses": [ "$underlay_a" ], "Sockets": 2,
        "Peers": $(cat "$tmp/storm/peers.json") } } ] },
  "Interfaces": { "tun": { "Backend": "LinuxTun", "Settings": { "DeviceName": "rhst0", "Mtu": $overlay_mtu, "Queues": 2, "Addresses": [ "10.200.0.1/24" ] } } }
}
JSON
}

# storm_once LABEL DLL: one storm against the hub run by DLL; appends a row to $run_dir/storm.tsv.
storm_once() {
    local label=$1 dll=$2 pid out show load
    spawn "$ns_a" "routerhost hub ($label)" "$run_dir/logs/storm-$label-hub.log" dotnet "$dll" run --config "$tmp/storm/hub.json"
    pid=$spawned_pid
    if ! wait_until 300 eval "grep -q 'RouterHost ready' '${proc_logs[$pid]}' || ! pid_alive $pid"; then
        problem "the hub ($label) did not come up in 300 s:$(log_tail "${proc_logs[$pid]}")"
        stop_pid "$pid" || true
        return 1
    fi
    require_alive "$pid" "${procs[$pid]}" || return 1
    load=$(load_average)
    out="$run_dir/storm-$label.txt"
    log "storm ($label): $storm_peers peers initiate at once; load $load"
    ip netns exec "$ns_b" dotnet "$storm_tool_dir/HandshakeStorm.dll" run --dir "$tmp/storm" --peers "$storm_peers" \
        --hub "$underlay_a:51820" --bind "$underlay_b" --timeout 60 >"$out" 2>&1 || warn "storm ($label): not every peer completed"
    sleep 0.5 # the last keepalives reach the hub
    show="$run_dir/status/storm-$label-hub.json"
    dotnet "$dll" show --socket "$tmp/storm/hub.sock" --json >"$show" 2>&1 || warn "routerhost show of the hub ($label) failed"
    stop_pid "$pid" || warn "the hub ($label) had to be killed"
    log "storm ($label): $(tail -n 1 "$out")"
    printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$(tail -n 1 "$out")" "$load" \
        "$(jq -r '[.. | objects | select(has("cookie_replies_sent")) | .cookie_replies_sent] | add // "-"' "$show" 2>/dev/null || echo -)" \
        "$(jq -c '[.. | objects | select(has("under_load"))] | .[0].drops // {}' "$show" 2>/dev/null || echo -)" >>"$run_dir/storm.tsv"
}

# storm_run: generate keys and config, then the storm against this build (and the baseline build, if given).
storm_run() {
    storm_build
    mkdir -p "$tmp/storm"
    dotnet "$storm_tool_dir/HandshakeStorm.dll" generate --peers "$storm_peers" --dir "$tmp/storm" >/dev/null ||
        die "HandshakeStorm generate failed"
    storm_config
    : >"$run_dir/storm.tsv"
    storm_once routerhost "$rh_dll" || failures+=("storm (routerhost): ${problem_text%%$'\n'*}")
    if [ -n "$baseline_dll" ]; then
        storm_once baseline "$baseline_dll" || failures+=("storm (baseline): ${problem_text%%$'\n'*}")
    fi
}

# storm_report: $run_dir/storm.md from storm.tsv.
storm_report() {
    {
        printf '## Handshake storm: %s peers initiating at once (%s)\n\n' "$storm_peers" "$(date '+%Y-%m-%d %H:%M')"
        printf 'Command: `%s`; RouterHost commit %s; load before/after %s / %s.\n\n' "$command_line" "$rh_commit" "$load_before" "${load_after:-?}"
        printf '| build | peers completed | first initiation → last handshake (ms) | p50 ms | p90 ms | peer retries | cookie replies (peers got / hub sent) | load at start |\n'
        printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n'
        awk -F'\t' '{
            n = split($2, kv, " "); delete v
            for (i = 1; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
            printf "| %s | %s / %s | %s | %s | %s | %s | %s / %s | %s |\n", $1, v["completed"], v["peers"], v["first_to_last_ms"], v["p50_ms"], v["p90_ms"], v["retries"], v["cookie_replies"], $4, $3
        }' "$run_dir/storm.tsv"
        printf '\nThe hub'"'"'s drops (show --json, `drops`): see status/storm-*-hub.json.\n'
    } >"$run_dir/storm.md"
}
