# Sourced by bench/tunnel/run: the systems under test. system_up NAME brings one up in the two namespaces (client
# side A, server side B) and proves it with a ping both ways; it sets
#   target        the address in B that iperf3 and ping aim at,
#   tunnel_pids   the tunnel's processes, whose CPU is counted ("" for raw veth),
#   tunnel_names  what each of them is (for messages), tunnel_sides  A or B for each.
# system_down NAME removes it again. Each tunnel has its own overlay subnet, so a device that outlived its process
# could never answer for the next one: RouterHost 10.88.0.0/24, wireguard-go 10.89.0.0/24, nebula 10.90.0.0/24.
# All three use the overlay MTU 1420.

readonly all_systems=(veth routerhost routerhost-tun-offloads-off routerhost-udp-gso-off routerhost-udp-gro-off
    routerhost-batch-1 routerhost-realtime routerhost-all-off wireguard-go nebula)
readonly overlay_mtu=1420
# routerhost-baseline: the plain RouterHost configuration run by another build (--baseline DLL), so that a change
# is measured against the build before it in the same run; it is not in all_systems and runs only when asked for.
baseline_dll=''
# The anchors' binaries: --wireguard-go PATH and --nebula PATH, else Debian's (resolve_anchors fills these in), and
# their versions as the binaries print them, which name them in the results.
wggo_bin='' nebula_bin='' nebula_cert_bin=''
wggo_version='' nebula_version=''
declare -A anchor_offloads=() # per anchor: its TUN's offloads as ethtool showed them after the last bring-up

target=''
log_tag=''      # names this bring-up's log files: r1, r2, ... or check
tunnel_pids=()
tunnel_names=()
tunnel_sides=() # A or B for each of tunnel_pids

system_label() {
    case $1 in
        veth) echo "raw veth (no tunnel)" ;;
        routerhost) echo "RouterHost" ;;
        routerhost-baseline) echo "RouterHost, baseline build" ;;
        routerhost-tun-offloads-off) echo "RouterHost, TUN TSO/GRO off" ;;
        routerhost-udp-gso-off) echo "RouterHost, UDP GSO off" ;;
        routerhost-udp-gro-off) echo "RouterHost, UDP GRO off" ;;
        routerhost-batch-1) echo "RouterHost, batching off" ;;
        routerhost-realtime) echo "RouterHost, lanes SCHED_FIFO (Pipeline:RealtimePriority 10)" ;;
        routerhost-all-off) echo "RouterHost, all of these off" ;;
        wireguard-go) echo "wireguard-go${wggo_version:+ $wggo_version}" ;;
        nebula) echo "nebula${nebula_version:+ $nebula_version}" ;;
        *) echo "$1" ;;
    esac
}

# anchor_binary OPTION PATH: the absolute path of an anchor's binary given on the command line, refused unless it is
# an executable file that only root can change (the benchmark runs it as root).
anchor_binary() {
    local option=$1 path dir
    path=$(realpath -e -- "$2" 2>/dev/null) || die "$option: no such file '$2' (give the path of the binary you built)"
    { [ -f "$path" ] && [ -x "$path" ]; } || die "$option: '$path' is not an executable file"
    dir=$path
    while :; do
        # A sticky directory (/tmp) above the binary's own directory cannot have that directory swapped by others.
        if [ "$(stat -c %u "$dir")" != 0 ] ||
            { [ -n "$(find "$dir" -maxdepth 0 -perm /022 2>/dev/null)" ] && ! { [ -k "$dir" ] && [ "$dir" != "$path" ] && [ "$dir" != "$(dirname "$path")" ]; }; }; then
            die "$option: '$dir' is not owned by root or is writable by group or others, and the benchmark runs '$path' as root: make it and every directory above it root's and not group/other-writable (chown root, chmod go-w)"
        fi
        [ "$dir" != / ] || break
        dir=$(dirname "$dir")
    done
    printf '%s' "$path"
}

# resolve_anchors: Debian's binaries where no path was given (the packages are installed by then), the nebula-cert
# beside --nebula's binary when there is one, and each selected anchor's version.
resolve_anchors() {
    if [[ " ${systems[*]} " == *" wireguard-go "* ]]; then
        [ -n "$wggo_bin" ] || wggo_bin=$(command -v wireguard-go) || die "no wireguard-go (install the wireguard-go package or give --wireguard-go PATH)"
        wggo_version=$("$wggo_bin" --version 2>/dev/null | awk 'NR == 1 { print $2 }')
        [ -n "$wggo_version" ] || die "'$wggo_bin --version' printed no version: is it wireguard-go?"
    fi
    if [[ " ${systems[*]} " == *" nebula "* ]]; then
        if [ -n "$nebula_bin" ] && [ -x "$(dirname "$nebula_bin")/nebula-cert" ]; then
            nebula_cert_bin=$(anchor_binary --nebula "$(dirname "$nebula_bin")/nebula-cert")
        else
            nebula_cert_bin=$(command -v nebula-cert) || die "no nebula-cert beside '$nebula_bin' nor installed (install the nebula package)"
        fi
        [ -n "$nebula_bin" ] || nebula_bin=$(command -v nebula) || die "no nebula (install the nebula package or give --nebula PATH)"
        nebula_version=$("$nebula_bin" -version 2>/dev/null | awk '/^Version:/ { print $2 }')
        [ -n "$nebula_version" ] || die "'$nebula_bin -version' printed no version: is it nebula?"
    fi
}

# anchor_origin BINARY: "Debian package NAME VERSION" for a packaged binary, else its path.
anchor_origin() {
    local pkg
    if pkg=$(dpkg -S "$(realpath "$1")" 2>/dev/null | head -n 1 | cut -d: -f1) && [ -n "$pkg" ]; then
        printf 'Debian package %s %s' "$pkg" "$(dpkg-query -W -f '${Version}' "$pkg" 2>/dev/null)"
    else
        printf '%s' "$1"
    fi
}

# tun_offloads NS DEV: the TUN device's segmentation offloads as ethtool shows them (what the tunnel process
# negotiated with TUNSETOFFLOAD: "on" means the kernel hands it TCP/UDP superpackets).
tun_offloads() {
    ip netns exec "$1" ethtool -k "$2" 2>/dev/null | awk -F': ' '
        $1 ~ /^\t?tx-tcp-segmentation$/ { tso = $2 } $1 ~ /^\t?tx-udp-segmentation$/ { uso = $2 }
        END { sub(/ .*/, "", tso); sub(/ .*/, "", uso); printf "TSO %s, USO %s", tso ? tso : "?", uso ? uso : "?" }'
}

# The packages a system needs (command:package, as routerhost_require_packages takes them).
system_packages() {
    case $1 in
        wireguard-go)
            [ -n "$wggo_bin" ] || echo "wireguard-go:wireguard-go"
            echo "wg:wireguard-tools ethtool:ethtool"
            ;;
        nebula)
            [ -n "$nebula_bin" ] || echo "nebula:nebula"
            [ -n "$nebula_bin" ] && [ -x "$(dirname "$nebula_bin")/nebula-cert" ] || echo "nebula-cert:nebula"
            echo "ethtool:ethtool"
            ;;
        *) ;;
    esac
}

system_up() {
    tunnel_pids=()
    tunnel_names=()
    tunnel_sides=()
    case $1 in
        veth) veth_up ;;
        routerhost*) routerhost_up "$1" ;;
        wireguard-go) wggo_up ;;
        nebula) nebula_up ;;
        *) problem "unknown system '$1' (known: ${all_systems[*]})" ;;
    esac
}

system_down() {
    local i rc=0
    stop_measurement
    for i in "${!tunnel_pids[@]}"; do
        if ! stop_pid "${tunnel_pids[$i]}" 10; then
            warn "${tunnel_names[$i]} (pid ${tunnel_pids[$i]}) did not stop within 10 s of SIGTERM and was killed"
            rc=1
        fi
    done
    tunnel_pids=()
    tunnel_names=()
    tunnel_sides=()
    case $1 in
        wireguard-go) rm -f "/var/run/wireguard/tbwg$$a.sock" "/var/run/wireguard/tbwg$$b.sock" ;;
        *) ;;
    esac
    return $rc
}

# Fails with NAME's log when it has exited.
require_alive() {
    local pid=$1 name=$2
    pid_alive "$pid" || problem "$name exited (pid $pid):$(log_tail "${proc_logs[$pid]:-/dev/null}")"
}

# ping_both SYSTEM A_ADDR B_ADDR: a ping each way across the tunnel, retried for 15 s (the first one starts the
# handshake).
ping_both() {
    local sys=$1 addr_a=$2 addr_b=$3 i
    if ! wait_until 15 ip netns exec "$ns_a" ping -c 1 -W 1 "$addr_b"; then
        for i in "${!tunnel_pids[@]}"; do
            require_alive "${tunnel_pids[$i]}" "${tunnel_names[$i]}" || return 1
        done
        problem "no ping across $sys from $ns_a to $addr_b in 15 s:$(for i in "${!tunnel_pids[@]}"; do
            printf '\n  %s:' "${tunnel_names[$i]}"
            log_tail "${proc_logs[${tunnel_pids[$i]}]}" 8
        done)"
        return 1
    fi
    wait_until 10 ip netns exec "$ns_b" ping -c 1 -W 1 "$addr_a" ||
        problem "ping from $ns_a to $addr_b works but not back from $ns_b to $addr_a across $sys"
}

veth_up() {
    target=$underlay_b
}

# RouterHost: one `routerhost run` per namespace, a LinuxTun interface and the chain [Routing, WireGuard].

rh_keys_made=0

routerhost_keys() {
    [ $rh_keys_made -eq 0 ] || return 0
    local side
    for side in a b; do
        (umask 077 && dotnet "$rh_dll" genkey >"$tmp/rh-$side.key") || problem "routerhost genkey failed" || return 1
        dotnet "$rh_dll" pubkey <"$tmp/rh-$side.key" >"$tmp/rh-$side.pub" || problem "routerhost pubkey failed" || return 1
    done
    rh_keys_made=1
}

# routerhost_config SIDE VARIANT: writes $tmp/rh-SIDE.json.
routerhost_config() {
    local side=$1 variant=$2 other own_ip other_ip port other_port other_underlay batch=64 tun_offloads='' udp_offloads='' pipeline_extra=''
    if [ "$side" = a ]; then
        other=b own_ip=10.88.0.1 other_ip=10.88.0.2 port=51820 other_port=51821 other_underlay=$underlay_b
    else
        other=a own_ip=10.88.0.2 other_ip=10.88.0.1 port=51821 other_port=51820 other_underlay=$underlay_a
    fi
    case $variant in
        routerhost | routerhost-baseline) ;;
        routerhost-tun-offloads-off) tun_offloads=', "Offloads": { "Enabled": false }' ;;
        routerhost-udp-gso-off) udp_offloads=', "Offloads": { "Gso": false }' ;;
        routerhost-udp-gro-off) udp_offloads=', "Offloads": { "Gro": false }' ;;
        routerhost-batch-1) batch=1 ;;
        routerhost-realtime) pipeline_extra=', "RealtimePriority": 10' ;;
        routerhost-all-off)
            tun_offloads=', "Offloads": { "Enabled": false }'
            udp_offloads=', "Offloads": { "Gso": false, "Gro": false }'
            batch=1
            ;;
        *)
            problem "unknown RouterHost variant '$variant'"
            return 1
            ;;
    esac
    cat >"$tmp/rh-$side.json" <<EOF
{
  "Control": { "Socket": "$tmp/rh-$side.sock" },
  "Pipeline": { "BatchSize": $batch$pipeline_extra, "Stages": [
    { "Type": "Routing", "Settings": { "Routes": [ { "Destination": "$own_ip/32", "Interface": "tun" } ] } },
    { "Type": "WireGuard", "Name": "wg", "Settings": {
        "PrivateKeyFile": "$tmp/rh-$side.key", "ListenPort": $port, "ListenAddresses": [ "0.0.0.0" ], "Sockets": 2$udp_offloads,
        "Peers": { "$other": { "PublicKey": "$(cat "$tmp/rh-$other.pub")", "Endpoint": "$other_underlay:$other_port", "AllowedIPs": [ "$other_ip/32" ] } } } } ] },
  "Interfaces": { "tun": { "Backend": "LinuxTun", "Settings": { "DeviceName": "rhwg0", "Mtu": $overlay_mtu, "Queues": 2, "Addresses": [ "$own_ip/24" ]$tun_offloads } } }
}
EOF
}

# rh_dll_of VARIANT: the routerhost.dll that runs VARIANT.
rh_dll_of() {
    if [ "$1" = routerhost-baseline ]; then echo "$baseline_dll"; else echo "$rh_dll"; fi
}

routerhost_up() {
    local variant=$1 side ns pid dll
    dll=$(rh_dll_of "$variant")
    routerhost_keys || return 1
    routerhost_config a "$variant" || return 1
    routerhost_config b "$variant" || return 1
    for side in b a; do
        ns=$ns_a
        [ "$side" = b ] && ns=$ns_b
        spawn "$ns" "routerhost ($side, $variant)" "$run_dir/logs/$variant-$log_tag-$side.log" dotnet "$dll" run --config "$tmp/rh-$side.json"
        tunnel_pids+=("$spawned_pid")
        tunnel_names+=("routerhost in $ns")
        tunnel_sides+=("${side^^}")
    done
    for pid in "${tunnel_pids[@]}"; do
        if ! wait_until 30 eval "grep -q 'RouterHost ready' '${proc_logs[$pid]}' || ! pid_alive $pid"; then
            problem "${procs[$pid]} did not come up in 30 s:$(log_tail "${proc_logs[$pid]}")"
            return 1
        fi
        require_alive "$pid" "${procs[$pid]}" || return 1
    done
    target=10.88.0.2
    ping_both "$variant" 10.88.0.1 10.88.0.2
}

# routerhost_status VARIANT: saves each node's `routerhost show --json` (counters and drops) to the results.
routerhost_status() {
    local variant=$1 side
    for side in a b; do
        dotnet "$(rh_dll_of "$variant")" show --socket "$tmp/rh-$side.sock" --json >"$run_dir/status/$variant-$log_tag-$side.json" 2>&1 ||
            warn "routerhost show of $variant ($side) failed: $(head -c 300 "$run_dir/status/$variant-$log_tag-$side.json")"
    done
}

# wireguard-go: the daemon in the foreground (-f), configured with wg; Debian's unless --wireguard-go names another.
# Versions since 0.0.20230223 turn on TUN TSO/GRO and UDP GSO/GRO by themselves where the kernel has them (they log
# nothing about it; the results show the TUN's offloads as ethtool sees them).

wggo_up() {
    local side ns own_ip other_ip port other_port other_underlay dev other_key pid
    local -a devs=()
    for side in a b; do
        [ -s "$tmp/wg-$side.key" ] || (umask 077 && wg genkey >"$tmp/wg-$side.key") || problem "wg genkey failed" || return 1
        wg pubkey <"$tmp/wg-$side.key" >"$tmp/wg-$side.pub" || problem "wg pubkey failed" || return 1
    done
    for side in a b; do
        ns=$ns_a
        [ "$side" = b ] && ns=$ns_b
        dev="tbwg$$$side"
        rm -f "/var/run/wireguard/$dev.sock"
        # The variable only silences the banner saying this kernel has WireGuard built in.
        spawn "$ns" "wireguard-go ($side)" "$run_dir/logs/wireguard-go-$log_tag-$side.log" \
            env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 "$wggo_bin" -f "$dev"
        tunnel_pids+=("$spawned_pid")
        tunnel_names+=("wireguard-go in $ns")
        tunnel_sides+=("${side^^}")
        devs+=("$dev")
    done
    for side in a b; do
        if [ "$side" = a ]; then
            ns=$ns_a own_ip=10.89.0.1 other_ip=10.89.0.2 port=51830 other_port=51831 other_underlay=$underlay_b other_key=$(cat "$tmp/wg-b.pub")
            pid=${tunnel_pids[0]} dev=${devs[0]}
        else
            ns=$ns_b own_ip=10.89.0.2 other_ip=10.89.0.1 port=51831 other_port=51830 other_underlay=$underlay_a other_key=$(cat "$tmp/wg-a.pub")
            pid=${tunnel_pids[1]} dev=${devs[1]}
        fi
        # The UAPI socket appears once the device is up.
        if ! wait_until 10 eval "[ -S /var/run/wireguard/$dev.sock ] || ! pid_alive $pid"; then
            problem "wireguard-go did not come up in 10 s (no /var/run/wireguard/$dev.sock):$(log_tail "${proc_logs[$pid]}")"
            return 1
        fi
        require_alive "$pid" "wireguard-go in $ns" || return 1
        ip netns exec "$ns" wg set "$dev" private-key "$tmp/wg-$side.key" listen-port "$port" \
            peer "$other_key" allowed-ips "$other_ip/32" endpoint "$other_underlay:$other_port" ||
            problem "wg set $dev in $ns failed" || return 1
        ip -n "$ns" link set "$dev" mtu "$overlay_mtu" &&
            ip -n "$ns" addr add "$own_ip/24" dev "$dev" &&
            ip -n "$ns" link set "$dev" up ||
            problem "could not address and bring up $dev in $ns" || return 1
    done
    target=10.89.0.2
    ping_both wireguard-go 10.89.0.1 10.89.0.2 || return 1
    anchor_offloads[wireguard-go]=$(tun_offloads "$ns_a" "${devs[0]}")
}

# nebula: Debian's nebula unless --nebula names another, with certificates from nebula-cert, no lighthouse (a static
# host map), punching and relays off, and a firewall that accepts everything. The UDP socket buffers are the 10 MiB
# nebula's example config suggests (wireguard-go sets 7 MiB on its own, RouterHost 8 MiB); TUN offloads
# (tun.use_offloads) and UDP GSO/GRO (listen.udp_offloads) are nebula's defaults since its offload work and are
# written out so the config says what runs; nebula 1.6.1 ignores keys it does not know.

nebula_up() {
    local side ns own_ip other_ip port other_port other_underlay pid
    if [ ! -s "$tmp/nebula-ca.crt" ]; then
        (cd "$tmp" && umask 077 &&
            "$nebula_cert_bin" ca -name "rhtb-$$" -duration 24h -out-crt nebula-ca.crt -out-key nebula-ca.key &&
            "$nebula_cert_bin" sign -name a -ip 10.90.0.1/24 -ca-crt nebula-ca.crt -ca-key nebula-ca.key -out-crt nebula-a.crt -out-key nebula-a.key &&
            "$nebula_cert_bin" sign -name b -ip 10.90.0.2/24 -ca-crt nebula-ca.crt -ca-key nebula-ca.key -out-crt nebula-b.crt -out-key nebula-b.key) \
            >"$tmp/nebula-cert.log" 2>&1 || problem "nebula-cert failed:$(log_tail "$tmp/nebula-cert.log")" || return 1
    fi
    for side in b a; do
        if [ "$side" = a ]; then
            ns=$ns_a own_ip=10.90.0.1 other_ip=10.90.0.2 port=4242 other_port=4243 other_underlay=$underlay_b
        else
            ns=$ns_b own_ip=10.90.0.2 other_ip=10.90.0.1 port=4243 other_port=4242 other_underlay=$underlay_a
        fi
        cat >"$tmp/nebula-$side.yml" <<EOF
pki:
  ca: $tmp/nebula-ca.crt
  cert: $tmp/nebula-$side.crt
  key: $tmp/nebula-$side.key
static_host_map:
  "$other_ip": ["$other_underlay:$other_port"]
lighthouse:
  am_lighthouse: false
  hosts: []
listen:
  host: 0.0.0.0
  port: $port
  read_buffer: 10485760
  write_buffer: 10485760
  udp_offloads: true
routines: $nebula_routines
cipher: $nebula_cipher
punchy:
  punch: false
relay:
  am_relay: false
  use_relays: false
tun:
  disabled: false
  dev: nebula1
  mtu: $overlay_mtu
  use_offloads: true
logging:
  level: info
firewall:
  outbound:
    - port: any
      proto: any
      host: any
  inbound:
    - port: any
      proto: any
      host: any
EOF
        spawn "$ns" "nebula ($side)" "$run_dir/logs/nebula-$log_tag-$side.log" "$nebula_bin" -config "$tmp/nebula-$side.yml"
        tunnel_pids+=("$spawned_pid")
        tunnel_names+=("nebula in $ns")
        tunnel_sides+=("${side^^}")
    done
    for pid in "${tunnel_pids[@]}"; do
        if ! wait_until 10 eval "grep -q 'Nebula interface is active' '${proc_logs[$pid]}' || ! pid_alive $pid"; then
            problem "${procs[$pid]} did not come up in 10 s:$(log_tail "${proc_logs[$pid]}")"
            return 1
        fi
        require_alive "$pid" "${procs[$pid]}" || return 1
    done
    target=10.90.0.2
    ping_both nebula 10.90.0.1 10.90.0.2 || return 1
    anchor_offloads[nebula]=$(tun_offloads "$ns_a" nebula1)
}
