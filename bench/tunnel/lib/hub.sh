# Sourced by bench/tunnel/run: the many-peers hub (--hub [N]). One RouterHost hub in namespace A with N peers (each
# its own public key and an AllowedIPs /32, as a wg-quick hub lists its spokes inline; --hub-psk gives each a preshared
# key file too), of which one is real: a RouterHost spoke in namespace B that pings the hub through the tunnel. Timed,
# for the hub with 0 peers and with N: `routerhost validate`, `routerhost run` until it logs "RouterHost ready", the
# RSS after 5 s idle (KiB per idle peer = (RSS with N - RSS with 0) / N), and a SIGHUP reload that changes one peer.
# With --baseline DLL the other build is measured the same way right after, and the table ends with this build's
# figures divided by the baseline's (start CPU s, KiB per idle peer, reload).

hub_peers=10000
hub_psk=0

# hub_config N FILE: the hub's configuration with N peers (peer p00000 is the spoke in namespace B) and their keys.
hub_config() {
    local n=$1 file=$2
    python3 - "$n" "$file" "$tmp" "$(cat "$tmp/rh-b.pub")" "$underlay_b" "$hub_psk" "$overlay_mtu" <<'EOF'
import base64, json, os, sys
n, path, tmp, spoke_key, spoke_ip, psk, mtu = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6] == "1", int(sys.argv[7])
keys = os.path.join(tmp, "hub-keys")
os.makedirs(keys, mode=0o700, exist_ok=True)
def secret(file):
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, (base64.b64encode(os.urandom(32)).decode() + "\n").encode())
    os.close(fd)
    return file
peers = {}
for i in range(n):
    if i == 0:
        peer = {"PublicKey": spoke_key, "Endpoint": spoke_ip + ":51821", "AllowedIPs": ["10.88.0.2/32"]}
    else:
        a = i + 1  # 10.64.0.2 ... : outside the spoke's 10.88.0.0/24
        peer = {"PublicKey": base64.b64encode(os.urandom(32)).decode(), "AllowedIPs": ["10.%d.%d.%d/32" % (64 + (a >> 16), (a >> 8) & 255, a & 255)]}
    if psk:
        peer["PresharedKeyFile"] = secret(os.path.join(keys, "p%05d.psk" % i))
    peers["p%05d" % i] = peer
config = {
    "Control": {"Socket": os.path.join(tmp, "hub.sock")},
    "Pipeline": {"Stages": [
        {"Type": "Routing", "Settings": {"Routes": [{"Destination": "10.88.0.1/32", "Interface": "tun"}]}},
        {"Type": "WireGuard", "Name": "wg", "Settings": {
            "PrivateKeyFile": os.path.join(tmp, "rh-a.key"), "ListenPort": 51820, "ListenAddresses": ["0.0.0.0"], "Sockets": 1, "Peers": peers}}]},
    "Interfaces": {"tun": {"Backend": "LinuxTun", "Settings": {"DeviceName": "rhwg0", "Mtu": mtu, "Queues": 1, "Addresses": ["10.88.0.1/24"]}}},
}
with open(path + ".new", "w") as f:
    json.dump(config, f, indent=1)
os.chmod(path + ".new", 0o600)
os.replace(path + ".new", path)
EOF
}

# hub_change_one FILE: the same configuration with one idle peer's AllowedIPs changed (for the reload).
hub_change_one() {
    local file=$1
    (umask 077 && jq '.Pipeline.Stages[1].Settings.Peers |= (to_entries | .[-1].value.AllowedIPs = ["10.127.255.254/32"] | from_entries)' \
        "$file" >"$file.new") && mv -f "$file.new" "$file"
}

# hub_measure N [DLL LABEL]: one row of the table for the hub with N peers run by DLL (default: this build), labelled
# LABEL (N > 0: also the spoke's ping and a reload; the spoke is always this build).
hub_measure() {
    local n=$1 dll=${2:-$rh_dll} label=${3:-routerhost} file="$tmp/hub-$1.json" start end pid ticks rss validate_s validate_user validate_sys validate_cpu ready_s ready_cpu ping_ok=- reload_s=- reload_cpu=-
    [ -f "$file" ] || hub_config "$n" "$file" || die "could not write the hub configuration with $n peers"
    local base="$tmp/hub-$1.base.json"
    [ -f "$base" ] || cp -p "$file" "$base"
    cp -p "$base" "$file"
    local TIMEFORMAT='%R %U %S'
    local times
    times=$({ time dotnet "$dll" validate --config "$file" >"$run_dir/logs/hub-$label-$n-validate.log" 2>&1; } 2>&1) ||
        die "$label validate of the $n-peer hub failed:$(log_tail "$run_dir/logs/hub-$label-$n-validate.log")"
    read -r validate_s validate_user validate_sys <<<"$times"
    validate_cpu=$(awk -v u="$validate_user" -v s="$validate_sys" 'BEGIN { printf "%.2f", u + s }')

    start=$(now_us)
    local hub_log="$run_dir/logs/hub-$label-$n.log"
    spawn "$ns_a" "$label hub ($n peers)" "$hub_log" dotnet "$dll" run --config "$file"
    pid=$spawned_pid
    wait_until 600 eval "grep -q 'RouterHost ready' '$hub_log' || ! pid_alive $pid" ||
        die "the $n-peer hub was not ready in 600 s:$(log_tail "$hub_log")"
    end=$(now_us)
    require_alive "$pid" "the $n-peer hub" || die "$problem_text"
    ticks=$(cpu_ticks "$pid")
    ready_s=$(awk -v us=$((end - start)) 'BEGIN { printf "%.2f", us / 1e6 }')
    ready_cpu=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }')
    sleep 5
    rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")

    if [ "$n" -gt 0 ]; then
        local spoke
        routerhost_config b routerhost || die "$problem_text"
        spawn "$ns_b" "routerhost spoke" "$run_dir/logs/hub-$label-$n-spoke.log" dotnet "$rh_dll" run --config "$tmp/rh-b.json"
        spoke=$spawned_pid
        wait_until 60 eval "grep -q 'RouterHost ready' '$run_dir/logs/hub-$label-$n-spoke.log' || ! pid_alive $spoke" ||
            die "the spoke was not ready in 60 s:$(log_tail "$run_dir/logs/hub-$label-$n-spoke.log")"
        if wait_until 30 ip netns exec "$ns_b" ping -c 1 -W 1 10.88.0.1 &&
            wait_until 10 ip netns exec "$ns_a" ping -c 1 -W 1 10.88.0.2; then
            ping_ok=yes
        else
            ping_ok=no
            warn "no ping between the hub and its spoke through the $n-peer hub"
        fi

        hub_change_one "$file"
        ticks=$(cpu_ticks "$pid")
        start=$(now_us)
        kill -HUP "$pid"
        if wait_until 600 eval "grep -q 'Configuration reload #1 applied' '$hub_log' || ! pid_alive $pid"; then
            end=$(now_us)
            reload_s=$(awk -v us=$((end - start)) 'BEGIN { printf "%.2f", us / 1e6 }')
            reload_cpu=$(awk -v t="$(($(cpu_ticks "$pid") - ticks))" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }')
        fi
        grep -q 'Configuration reload #1 applied' "$hub_log" ||
            warn "the $n-peer hub did not apply the one-peer reload:$(log_tail "$hub_log")"
        stop_pid "$spoke" || true
    fi
    stop_pid "$pid" || true
    printf '%s %s %s %s %s %s %s %s %s %s\n' "$n" "$validate_s" "$validate_cpu" "$ready_s" "$ready_cpu" "$rss" "$ping_ok" "$reload_s" "$reload_cpu" "$label" >>"$run_dir/hub.txt"
    log "$label hub with $n peers: validate ${validate_s} s (CPU ${validate_cpu} s), ready ${ready_s} s (CPU ${ready_cpu} s), RSS ${rss} KiB, ping through: $ping_ok, one-peer reload ${reload_s} s (CPU ${reload_cpu} s)"
}

# hub_run: the hub with 0 peers, then with N (and the same for the --baseline build); writes hub.md.
hub_run() {
    routerhost_keys || die "$problem_text"
    : >"$run_dir/hub.txt"
    hub_measure 0
    hub_measure "$hub_peers"
    if [ -n "$baseline_dll" ]; then
        hub_measure 0 "$baseline_dll" baseline
        hub_measure "$hub_peers" "$baseline_dll" baseline
    fi
    load_after=$(load_average)
    {
        printf '# Many-peers hub: %s peers%s\n\n' "$hub_peers" "$([ "$hub_psk" -eq 1 ] && echo ', a preshared key file each')"
        printf 'Command: `%s`; RouterHost %s%s; load average before %s, after %s.\n\n' "$command_line" "$rh_commit" "$([ -n "$baseline_dll" ] && echo ", baseline $baseline_dll")" "$load_before" "$load_after"
        printf '| build | peers | validate s (CPU s) | start to ready s (CPU s) | RSS idle MiB | KiB per idle peer | ping through the hub | one-peer reload s (CPU s) |\n'
        printf '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |\n'
        awk '
            $1 == 0 { base[$10] = $6 }
            { per = ($1 > 0 && ($10 in base)) ? sprintf("%.1f", ($6 - base[$10]) / $1) : "-"
              printf "| %s | %s | %s (%s) | %s (%s) | %.1f | %s | %s | %s (%s) |\n", $10, $1, $2, $3, $4, $5, $6 / 1024, per, $7, $8, $9 }' "$run_dir/hub.txt"
        if [ -n "$baseline_dll" ]; then
            awk -v n="$hub_peers" '
                $1 == 0 { base[$10] = $6 }
                $1 == n { ready[$10] = $5; rss[$10] = $6; reload[$10] = $9; validate[$10] = $3 }
                function ratio(a, b) { return (b + 0 > 0 && a != "-" && b != "-") ? sprintf("%.2f", a / b) : "-" }
                END {
                    per_r = ratio((rss["routerhost"] - base["routerhost"]), (rss["baseline"] - base["baseline"]))
                    printf "\nThis build ÷ the baseline, %s peers: validate CPU %s, start CPU %s, KiB per idle peer %s, one-peer reload CPU %s.\n",
                        n, ratio(validate["routerhost"], validate["baseline"]), ratio(ready["routerhost"], ready["baseline"]), per_r, ratio(reload["routerhost"], reload["baseline"])
                }' "$run_dir/hub.txt"
        fi
    } >"$run_dir/hub.md"
}
