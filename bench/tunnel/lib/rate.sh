# Sourced by bench/tunnel/run: the small-packet rate search (--rate). For each system and packet size, UDP from A to B at
# an offered rate, searched for the highest rate the tunnel delivers with under rate_loss_limit % lost: the rate
# doubles from rate_start until a step fails, then bisects between the best passing and the lowest failing rate until
# they are within 5 % of each other or rate_max_steps steps are spent. A size is the overlay IP packet, so 1400 fits
# the MTU of 1420.
# The generator (--rate-generator) is bench/RateGen by default: sendmmsg at the set rate from one thread over
# rate_flows flows (source ports; 1 is the honest per-peer figure, several let multi-queue devices spread), and a
# recvmmsg counter in B that also reports B's own UDP receive-buffer drops. iperf3 (-u, 3.12 is single-threaded and
# offers at most ~70-125 kpps here) stays selectable. Sockets get 4 MiB (iperf3, -w; less where
# net.core.rmem_max/wmem_max are lower) or 8 MiB to send and 64 MiB to count (rategen, forced as root), so a moment
# without the CPU at the receiver is not counted against the tunnel.

rate_sizes=(64 256 1400)
rate_step_seconds=3
rate_start=20000     # packets per second offered by the first step
rate_max=4000000     # never offered above this
rate_max_steps=12
readonly rate_loss_limit=1
rate_verdict='' rate_received=0
rate_generator=rategen   # rategen (bench/RateGen) or iperf3
rate_flows=1             # rategen's flows (source ports)
readonly rate_port=5301
rate_dll=''

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

# rate_prepare: builds the generator (bench/RateGen) when it is the one used.
rate_prepare() {
    [ "$rate_generator" = rategen ] || return 0
    rate_dll="$repo/bench/RateGen/bin/Release/net10.0/rategen.dll"
    log "building the rate generator (bench/RateGen, Release)"
    dotnet build "$repo/bench/RateGen/RateGen.csproj" -c Release -nologo -clp:ErrorsOnly -v:q >/dev/null ||
        die "the rate generator's build failed: dotnet build bench/RateGen -c Release"
    [ -f "$rate_dll" ] || die "no rate generator at $rate_dll after its build"
}

# rate_run_rategen SIZE PPS OUT: one step with bench/RateGen (counter in B, generator in A); writes "sent received
# seconds" to OUT, or returns non-zero with the reason in problem_text.
rate_run_rategen() {
    local size=$1 pps=$2 out=$3 recv_log="$run_dir/rate/last-receiver.txt" send_log="$run_dir/rate/last-sender.txt" rc=0
    local recv_pid sent seconds received drops
    spawn "$ns_b" "rate counter" "$recv_log" dotnet "$rate_dll" receive --port "$rate_port" \
        --seconds $((rate_step_seconds + 20)) --idle 1 --after "$rate_step_seconds"
    recv_pid=$spawned_pid
    if ! wait_until 10 eval "ip netns exec $ns_b ss -Hlun 'sport = :$rate_port' | grep -q . || ! pid_alive $recv_pid"; then
        stop_pid "$recv_pid" 2 || true
        problem "the rate counter in $ns_b is not listening after 10 s:$(log_tail "$recv_log")"
        return 1
    fi
    in_background "$send_log" "$tmp/rategen-send.err" ip netns exec "$ns_a" timeout -k 5 $((rate_step_seconds + 20)) \
        dotnet "$rate_dll" send --to "$target:$rate_port" --size "$size" --pps "$pps" --seconds "$rate_step_seconds" \
        --flows "$rate_flows" || rc=$?
    if ! wait_until 30 eval "! pid_alive $recv_pid"; then
        stop_pid "$recv_pid" 2 || true
        problem "the rate counter in $ns_b did not finish within 30 s"
        return 1
    fi
    stop_pid "$recv_pid" 1 || true
    sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' "$send_log") seconds=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$send_log")
    received=$(sed -n 's/.*received=\([0-9]*\).*/\1/p' "$recv_log") drops=$(sed -n 's/.*receiver_drops=\([0-9]*\).*/\1/p' "$recv_log")
    if [ $rc -ne 0 ] || [ -z "$sent" ] || [ -z "$received" ] || [ -z "$seconds" ]; then
        problem "rategen exit $rc: $(head -c 300 "$tmp/rategen-send.err") $(head -c 300 "$recv_log")"
        return 1
    fi
    printf '%s %s %s %s\n' "$sent" "$received" "$seconds" "${drops:-0}" >"$out"
}

# rate_step SYSTEM SIZE STEP PPS: one UDP run (rategen or iperf3) offering PPS packets per second of SIZE bytes; appends its row to
# rate.tsv and sets rate_received (packets per second) and rate_verdict: pass, loss (1 % or more lost), short (the
# sender reached under 90 % of the offer: the generator is the bound) or failed (the generator failed; the reason
# is in problem_text). Returns 1 only when a tunnel process exited.
rate_step() {
    local sys=$1 size=$2 step=$3 pps=$4 payload json rc=0 sent received lost verdict i
    rate_verdict=failed rate_received=0
    payload=$((size - 28))
    json="$run_dir/rate/$sys-$size-s$step.json"
    if [ "$rate_generator" = rategen ]; then
        local counts="$run_dir/rate/$sys-$size-s$step.txt" s_n r_n secs drops=0
        if rate_run_rategen "$size" "$pps" "$counts" && read -r s_n r_n secs drops <"$counts" && [ "$s_n" -gt 0 ]; then
            read -r sent received lost < <(awk -v s="$s_n" -v r="$r_n" -v t="$secs" 'BEGIN {
                printf "%d %d %.3f\n", s / t, r / t, (s > r ? (s - r) * 100 / s : 0) }')
        else
            rc=1
        fi
        for i in "${!tunnel_pids[@]}"; do
            require_alive "${tunnel_pids[$i]}" "${tunnel_names[$i]}" || return 1
        done
        [ "$drops" = 0 ] || log "    (the counter's own socket dropped $drops packets: counted as lost)"
    else
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
            problem_text="iperf3 exit $rc: $(jq -r '.error // empty' "$json" 2>/dev/null || true)$(head -c 300 "$tmp/iperf3-client.err")"
            rc=1
        fi
    fi
    if [ $rc -ne 0 ]; then
        verdict=failed sent=0 received=0 lost=100
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
# lowest failing rate failed on when the search closed (loss; sender: the generator could not offer it), or steps, or max.
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
        if [ "$rate_generator" = rategen ]; then
            printf -- '- UDP by bench/RateGen (sendmmsg, one thread, %s flow(s), no GSO) from %s to %s, counted by recvmmsg in B, socket buffers 8 MiB (send) and 64 MiB (receive)' \
                "$rate_flows" "$ns_a" "$ns_b"
        else
            printf -- '- iperf3 UDP from %s to %s, socket buffers %s bytes' "$ns_a" "$ns_b" "$(rate_buffer_bytes)"
        fi
        printf -- ', %s s per step, overlay MTU %s; a step passes with under %s %% lost; rate doubled from %s/s, then bisected to within 5 %%, at most %s steps\n' \
            "$rate_step_seconds" "$overlay_mtu" "$rate_loss_limit" "$rate_start" "$rate_max_steps"
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
        printf 'A mark says what else bounded it: (sender) the rate just above could not be offered by the generator (it sent under 90 %% of it), so the tunnel was not shown to be the bound; '
        printf '(max) %s/s passed; (steps) the step budget ran out before the bounds met. Every step is in rate.tsv.\n' "$rate_max"
        if [ ${#failures[@]} -gt 0 ]; then
            printf '\nFailures:\n\n'
            printf -- '- %s\n' "${failures[@]}"
        fi
    } >"$run_dir/rate.md"
}
