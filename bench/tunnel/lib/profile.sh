# shellcheck shell=bash
# The profile mode (bench/tunnel/run --profile): where the CPU goes during one single-stream transfer through each
# selected system (default: routerhost, nebula, wireguard-go). perf samples the whole machine (`perf record -a -g`,
# 999 Hz) for the middle of the transfer — both tunnel nodes, both TCP stacks, iperf3, the kernel's softirqs — and
# the report splits the samples by thread (comm), by library (dso) and by symbol, and sums them into the classes the
# issue asks about: the AEAD, the kernel (copies, checksums, scheduling, the TUN and UDP paths), the tunnel's own
# code, iperf3, idle. RouterHost runs with DOTNET_PerfMapEnabled=1 so its JIT-compiled methods have names.
# Writes profile.md (and perf-SYSTEM.data, kept for `perf report -i`) into the run's directory.

profile_systems_default=(routerhost nebula wireguard-go)

# profile_one SYSTEM: brings SYSTEM up, warms it, and records perf during a single-stream transfer of $duration s.
profile_one() {
    local sys=$1 data="$run_dir/perf-$1.data" rc=0 client
    system_up "$sys" && warmup_run "$sys" || return 1
    iperf_server || return 1
    ip netns exec "$ns_a" iperf3 -c "$target" -p "$iperf_port" -t "$duration" -P 1 -J --connect-timeout 5000 \
        >"$run_dir/iperf/$sys-profile.json" 2>"$tmp/iperf3-client.err" </dev/null 8>&- 9>&- &
    client=$!
    procs[$client]="iperf3 client"
    sleep 1
    # Sampled from 1 s in to 1 s before the end: the transfer at its steady rate.
    perf record -a -g -F 999 -o "$data" -- sleep $((duration - 2)) >"$tmp/perf-record.log" 2>&1 || rc=$?
    # Which node each tunnel thread belongs to (both nodes name their threads alike).
    local i task
    for i in "${!tunnel_pids[@]}"; do
        for task in /proc/"${tunnel_pids[$i]}"/task/[0-9]*; do
            printf '%s\t%s\n' "${task##*/}" "${tunnel_sides[$i]}"
        done
    done >"$run_dir/threads-$sys.tsv"
    wait "$client" || rc=$?
    unset "procs[$client]"
    stop_measurement
    if [ $rc -ne 0 ]; then
        problem "profiling $sys failed (exit $rc):$(log_tail "$tmp/perf-record.log")$(log_tail "$tmp/iperf3-client.err")"
        return 1
    fi
    local bits
    bits=$(jq -r '.end.sum_received.bits_per_second // 0' "$run_dir/iperf/$sys-profile.json")
    printf '%s\t%s\n' "$sys" "$bits" >>"$tmp/profile-rates.tsv"
    log "    $(system_label "$sys"): $(awk -v b="$bits" 'BEGIN { printf "%.2f", b / 1e9 }') Gbit/s while sampled"
}

# profile_table DATA SORT ROWS: perf report's self-time shares sorted by SORT, the first ROWS rows as markdown.
# (The awk scripts read to the end rather than exit early: an early exit would kill perf report with SIGPIPE,
# which pipefail turns into a failed run.)
profile_table() {
    local data=$1 sort=$2 rows=$3
    local header=${sort//,/ | } rule='| ---: |' i
    for ((i = 0; i <= $(tr -cd , <<<"$sort" | wc -c); i++)); do rule="$rule --- |"; done
    printf '| share | %s |\n%s\n' "$header" "$rule"
    perf report -i "$data" --no-children --sort "$sort" --stdio -q -g none --percent-limit 0.3 2>/dev/null |
        awk -v rows="$rows" 'NF >= 2 && $0 ~ /%/ {
            line = $0; sub(/^ +/, "", line); sub(/ +$/, "", line); n = split(line, f, /  +/)
            if (f[1] !~ /%$/ || shown >= rows) next
            out = "| " f[1]; for (i = 2; i <= n; i++) out = out " | " f[i]; print out " |"
            shown++ }'
}

# profile_threads DATA SYSTEM ROWS: the busiest threads, each named by its node (A sends, B receives) and name.
profile_threads() {
    local data=$1 sys=$2 rows=$3
    printf '| share | node | thread |\n| ---: | --- | --- |\n'
    perf report -i "$data" --no-children --sort pid --stdio -q -g none --percent-limit 0.3 2>/dev/null |
        awk -v rows="$rows" -F'\t' '
            FILENAME != "-" { side[$1] = $2; next }
            {
                line = $0; sub(/^ +/, "", line); sub(/ +$/, "", line)
                share = line; sub(/ .*/, "", share)
                if (share !~ /%$/ || shown >= rows) next
                rest = line; sub(/^[^ ]+ +/, "", rest)
                tid = rest; sub(/:.*/, "", tid); name = rest; sub(/^[0-9]+:/, "", name)
                node = (tid in side) ? side[tid] : (tid == 0 ? "idle" : "-")
                print "| " share " | " node " | " name " |"
                shown++
            }' "$run_dir/threads-$sys.tsv" -
}

# profile_classes DATA: the samples summed into classes, as "class<TAB>percent" lines.
profile_classes() {
    perf report -i "$1" --no-children --sort comm,dso,sym --stdio -q -g none --percent-limit 0 2>/dev/null |
        awk '
        {
            line = $0; sub(/^ +/, "", line); sub(/ +$/, "", line); n = split(line, f, /  +/)
            if (n < 4 || f[1] !~ /%$/) next
            p = f[1] + 0; comm = f[2]; dso = f[3]; sym = f[4]
            if (comm == "swapper" || sym ~ /(cpuidle|intel_idle|default_idle|poll_idle|acpi_idle|do_idle)/) c = "idle"
            else if (dso ~ /libcrypto|libsodium/ || sym ~ /(chacha|poly1305|ChaCha|Poly1305|Blake2)/) c = "AEAD and hashing"
            else if (comm ~ /^iperf3/) c = (dso ~ /kernel/ ? "kernel, on iperf3 threads (TCP, copies to and from user space)" : "iperf3 itself")
            else if (dso ~ /kernel/) {
                if (sym ~ /(copy_user|memcpy|memmove|copy_page|_copy_to_iter|_copy_from_iter|csum_partial_copy)/) c = "kernel: copies"
                else if (sym ~ /(csum|checksum)/) c = "kernel: checksums"
                else if (sym ~ /(schedule|switch_to|finish_task_switch|futex|try_to_wake_up|ttwu|enqueue_task|dequeue_task|pick_next|update_curr|__wake_up|ep_poll|do_epoll|hrtimer|select_task_rq)/) c = "kernel: scheduling, wakeups, futex, poll"
                else if (sym ~ /(entry_SYSCALL|syscall_exit|syscall_return|do_syscall|__x64_sys|exit_to_user)/) c = "kernel: syscall entry and exit"
                else if (sym ~ /(alloc_skb|kfree|skb_release|kmem_cache|__alloc_pages|free_unref|page_frag|kmalloc|skb_free|consume_skb|napi_)/) c = "kernel: skb allocation and freeing"
                else c = "kernel: the rest (TCP/IP, UDP, TUN, veth, GSO/GRO)"
            }
            else if (dso ~ /perf-[0-9]+\.map|\[JIT\]|RouterHost|\.dll|doublemapper/) c = "tunnel: .NET JIT-compiled code (RouterHost, the BCL)"
            else if (dso ~ /libcoreclr|libclrjit|libSystem\.Native/) c = "tunnel: .NET runtime (GC, JIT, interop stubs)"
            else if (dso ~ /libc\.so|libc-|ld-linux|libpthread/) c = "libc"
            else if (comm ~ /(wireguard|nebula)/ || dso ~ /(wireguard|nebula)/) c = "tunnel: the anchor'"'"'s own code"
            else c = "other processes and libraries"
            s[c] += p
        }
        END { for (c in s) printf "%s\t%.1f\n", c, s[c] }' | sort -t$'\t' -k2,2gr
}

profile_main() {
    : >"$tmp/profile-rates.tsv"
    local sys
    # Names for JIT-compiled code: the perf map, and no W^X double mapping (its memfd regions are not looked up in it).
    export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
    log_tag=profile
    for sys in "${systems[@]}"; do
        log "profile: $(system_label "$sys"), one stream for $duration s, perf on the whole machine for $((duration - 2)) s"
        if ! profile_one "$sys"; then
            failures+=("$(system_label "$sys"): ${problem_text%%$'\n'*} (its logs: logs/)")
        fi
        system_down "$sys" || failures+=("$(system_label "$sys"): a tunnel process had to be killed")
    done
    unset DOTNET_PerfMapEnabled DOTNET_EnableWriteXorExecute
    load_after=$(load_average)
    {
        printf '# Where the CPU goes: one stream, perf on the whole machine\n\n'
        printf 'Command: `%s`; RouterHost commit %s; %s; load average %s before, %s after.\n' \
            "$command_line" "$rh_commit" "$(nproc) cores, kernel $(uname -r)" "$load_before" "$load_after"
        printf 'Shares are of every sample on every core (idle included): both tunnel nodes, both TCP stacks, iperf3.\n'
        printf 'Classes sum perf'"'"'s self time per symbol; the raw data: `perf report -i perf-SYSTEM.data`.\n'
        while IFS=$'\t' read -r sys bits; do
            local data="$run_dir/perf-$sys.data"
            [ -s "$data" ] || continue
            printf '\n## %s — %s Gbit/s while sampled\n\n' "$(system_label "$sys")" "$(awk -v b="$bits" 'BEGIN { printf "%.2f", b / 1e9 }')"
            printf '| class | share of all CPU |\n| --- | ---: |\n'
            profile_classes "$data" | awk -F'\t' '{ printf "| %s | %s %% |\n", $1, $2 }'
            printf '\n### By thread (node A sends the stream, B receives it)\n\n'
            profile_threads "$data" "$sys" 15
            printf '\n### By thread and library\n\n'
            profile_table "$data" comm,dso 20
            printf '\n### By symbol\n\n'
            profile_table "$data" comm,sym 30
        done <"$tmp/profile-rates.tsv"
    } >"$run_dir/profile.md"
}
