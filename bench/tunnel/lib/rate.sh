# Sourced by bench/tunnel/run: the small-packet rate search (--rate). For each system and packet size, iperf3 UDP
# from A to B at an offered rate, searched for the highest rate the tunnel delivers with under rate_loss_limit % lost:
# the rate doubles from rate_start until a step fails, then bisects between the best passing and the lowest failing
# rate until they are within 5 % of each other or rate_max_steps steps are spent. A size is the overlay IP packet
# (iperf3's -l is the UDP payload: the size less 28 bytes of IPv4 and UDP headers), so 1400 fits the MTU of 1420.
# iperf3's sockets get 4 MiB buffers (-w; less where net.core.rmem_max/wmem_max are lower), as the tunnels' own
# sockets have, so a moment without the CPU at the receiving iperf3 is not counted against the tunnel.

rate_sizes=(64 256 1400)
rate_step_seconds=3
rate_start=20000     # packets per second offered by the first step
rate_max=4000000     # never offered above this
rate_max_steps=12
readonly rate_loss_limit=1
rate_verdict='' rate_received=0

# rate_buffer_bytes: iperf3's socket buffers, 4 MiB or the system's maximum when that is lower.
rate_buffer_bytes() {
    local max
    max=$(ip netns exec "$ns_b" cat /proc/sys/net/core/rmem_max /proc/sys/net/core/wmem_max 2>/dev/null |
        awk 'NR == 1 || $1 < m { m = $1 } END { print m + 0 }')
    [ "$max" -gt 0 ] && [ "$max" -lt 4194304 ] || max=4194304
    printf '%s' "$max"
}

rate_header() {
    printf 'system\tsize\tstep\toffered_pps\tsent_pps\treceived_pps\tlost_percent\tverdict\n'
}

# rate_step SYSTEM SIZE STEP PPS: one iperf3 UDP run offering PPS packets per second of SIZE bytes; appends its row to
# rate.tsv and sets rate_received (packets per second) and rate_verdict: pass, loss (1 % or more lost), short (the
# sender reached under 90 % of the offer: iperf3, single-threaded, is the bound) or failed (iperf3 failed; the reason
# is in problem_text). Returns 1 only when a tunnel process exited.
rate_step() {
    local sys=$1 size=$2 step=$3 pps=$4 payload json rc=0 sent received lost verdict i
    rate_verdict=failed rate_received=0
    payload=$((size - 28))
    json="$run_dir/rate/$sys-$size-s$step.json"
    iperf_server || return 1
    ip netns exec "$ns_a" timeout -k 5 $((rate_step_seconds + 20)) iperf3 -c "$target" -p "$iperf_port" -u \
        -b $((pps * payload * 8)) -l "$payload" -w "$(rate_buffer_bytes)" -t "$rate_step_seconds" -J --connect-timeout 5000 \
        >"$json" 2>"$tmp/iperf3-client.err" </dev/null 8>&- 9>&- || rc=$?
    stop_measurement
    for i in "${!tunnel_pids[@]}"; do
        require_alive "${tunnel_pids[$i]}" "${tunnel_names[$i]}" || return 1
    done
    if [ $rc -ne 0 ] || ! read -r sent received lost < <(jq -r '.end | [
            (.sum_sent.packets / .sum_sent.seconds | floor),
            ((.sum_received.packets - .sum_received.lost_packets) / .sum_sent.seconds | floor),
            (.sum_received.lost_percent * 1000 | round / 1000)] | @tsv' "$json" 2>/dev/null) || [ -z "$lost" ]; then
        verdict=failed sent=0 received=0 lost=100
        problem_text="iperf3 exit $rc: $(jq -r '.error // empty' "$json" 2>/dev/null || true)$(head -c 300 "$tmp/iperf3-client.err")"
    elif awk -v l="$lost" -v m="$rate_loss_limit" 'BEGIN { exit !(l >= m) }'; then
        verdict=loss
    elif [ "$sent" -lt $((pps * 9 / 10)) ]; then
        verdict=short
    else
        verdict=pass
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$sys" "$size" "$step" "$pps" "$sent" "$received" "$lost" "$verdict" \
        >>"$run_dir/rate.tsv"
    log "    $(system_label "$sys"), $size B, step $step: offered $pps/s, sent $sent/s, received $received/s, lost $lost % -> $verdict"
    rate_verdict=$verdict rate_received=$received
}

# rate_search SYSTEM SIZE: the search for one system (up) and size; appends "SYSTEM SIZE BEST_PPS BOUND" to
# rate-summary.tsv: BEST_PPS the most received per second by a step that lost under the limit, BOUND what the
# lowest failing rate failed on when the search closed (loss; sender: iperf3 could not offer it), or steps, or max.
rate_search() {
    local sys=$1 size=$2 pps=$rate_start lo=0 hi=0 best=0 step=0 bound=steps hi_bound=loss
    while [ $step -lt $rate_max_steps ]; do
        step=$((step + 1))
        rate_step "$sys" "$size" "$step" "$pps" || return 1
        case $rate_verdict in
            pass) lo=$pps ;;
            # iperf3 could not offer this much: what arrived counts, and the search goes on below it.
            short) hi=$pps hi_bound=sender ;;
            *) hi=$pps hi_bound=loss ;;
        esac
        if [ "$rate_verdict" = pass ] || [ "$rate_verdict" = short ]; then
            [ "$rate_received" -le "$best" ] || best=$rate_received
        fi
        if [ $hi -eq 0 ]; then
            pps=$((pps * 2))
            if [ $pps -gt $rate_max ]; then
                bound=max
                break
            fi
        else
            if [ $lo -gt 0 ] && [ $((hi * 100)) -le $((lo * 105)) ]; then
                bound=$hi_bound
                break
            fi
            pps=$(((lo + hi) / 2))
            [ $lo -gt 0 ] || pps=$((hi / 2))
            if [ "$pps" -lt 1000 ]; then
                bound=loss
                break
            fi
        fi
        sleep 0.5
    done
    printf '%s\t%s\t%s\t%s\n' "$sys" "$size" "$best" "$bound" >>"$run_dir/rate-summary.tsv"
}

rate_value() { awk -F'\t' -v s="$1" -v z="$2" '$1 == s && $2 == z { print $3 }' "$run_dir/rate-summary.tsv"; }
rate_bound() { awk -F'\t' -v s="$1" -v z="$2" '$1 == s && $2 == z { print $4 }' "$run_dir/rate-summary.tsv"; }

# rate_report: rate.md, the table of the search.
rate_report() {
    local sys size v wg nb
    {
        printf '# Small-packet rate search, %s\n\n' "$(date '+%Y-%m-%d %H:%M %Z')"
        machine_info
        printf -- '- iperf3 UDP from %s to %s, socket buffers %s bytes, %s s per step, overlay MTU %s; a step passes with under %s %% lost; rate doubled from %s/s, then bisected to within 5 %%, at most %s steps\n' \
            "$ns_a" "$ns_b" "$(rate_buffer_bytes)" "$rate_step_seconds" "$overlay_mtu" "$rate_loss_limit" "$rate_start" "$rate_max_steps"
        printf -- '- command: `%s`\n\n' "$command_line"
        printf '| system |'
        for size in "${rate_sizes[@]}"; do printf ' %s B: kpps delivered | × %s | × %s |' "$size" "$(system_label wireguard-go)" "$(system_label nebula)"; done
        printf '\n| --- |'
        for size in "${rate_sizes[@]}"; do printf ' ---: | ---: | ---: |'; done
        printf '\n'
        for sys in "${systems[@]}"; do
            printf '| %s |' "$(system_label "$sys")"
            for size in "${rate_sizes[@]}"; do
                v=$(rate_value "$sys" "$size")
                if [ -z "$v" ]; then
                    printf ' failed | | |'
                    continue
                fi
                wg=$(rate_value wireguard-go "$size") nb=$(rate_value nebula "$size")
                printf ' %s%s | %s | %s |' "$(fixed "$(awk -v v="$v" 'BEGIN { print v / 1000 }')" 1)" \
                    "$([ "$(rate_bound "$sys" "$size")" = loss ] || printf ' (%s)' "$(rate_bound "$sys" "$size")")" \
                    "$(ratio "$v" "$wg")" "$(ratio "$v" "$nb")"
            done
            printf '\n'
        done
        printf '\nkpps delivered: packets received per second (sent less lost) at the highest offered rate that lost under %s %%. ' "$rate_loss_limit"
        printf 'A mark says what else bounded it: (sender) the rate just above could not be offered by iperf3 (it sent under 90 %% of it), so the tunnel was not shown to be the bound; '
        printf '(max) %s/s passed; (steps) the step budget ran out before the bounds met. Every step is in rate.tsv.\n' "$rate_max"
        if [ ${#failures[@]} -gt 0 ]; then
            printf '\nFailures:\n\n'
            printf -- '- %s\n' "${failures[@]}"
        fi
    } >"$run_dir/rate.md"
}
