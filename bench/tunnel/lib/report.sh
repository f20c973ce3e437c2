# Sourced by bench/tunnel/run: the machine description, the results table (markdown), the PNG chart, and the
# memory run's report.

load_average() { cut -d' ' -f1-3 /proc/loadavg; }

# machine_info: a markdown list describing the machine and the software measured.
machine_info() {
    local cpu
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    printf -- '- machine: %s, %s cores, %s GiB memory, kernel %s (%s)\n' "$cpu" "$(nproc)" \
        "$(awk '/^MemTotal:/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)" "$(uname -r)" \
        "$(. /etc/os-release && echo "$PRETTY_NAME")"
    printf -- '- load average (1/5/15 min) before: %s, after: %s\n' "$load_before" "${load_after:-?}"
    printf -- '- RouterHost: %s (commit %s)\n' "$rh_dll" "$rh_commit"
    printf -- '- %s; .NET %s\n' "$(iperf3 --version 2>/dev/null | head -n 1)" \
        "$(dotnet --list-runtimes 2>/dev/null | awk '/Microsoft.NETCore.App/ { v = $2 } END { print v }')"
    [ -z "$wggo_version" ] || printf -- '- wireguard-go %s: %s; its TUN on A: %s\n' "$wggo_version" "$(anchor_origin "$wggo_bin")" \
        "${anchor_offloads[wireguard-go]:-not brought up}"
    [ -z "$nebula_version" ] || printf -- '- nebula %s: %s, certificates by %s; its TUN on A: %s\n' "$nebula_version" \
        "$(anchor_origin "$nebula_bin")" "$(anchor_origin "$nebula_cert_bin")" "${anchor_offloads[nebula]:-not brought up}"
}

# column NAME: the index (1-based) of NAME in runs.tsv's header.
column() { head -n 1 "$run_dir/runs.tsv" | tr '\t' '\n' | grep -nx "$1" | cut -d: -f1; }

# rows SYSTEM STREAMS AWK_EXPRESSION: the expression over each matching run (columns by name: $c["bytes"]).
rows() {
    awk -F'\t' -v s="$1" -v n="$2" '
        NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $c["system"] == s && $c["streams"] == n {
            bits = $c["bits_per_second"]; bytes = $c["bytes"]; gb = bytes / 1e9; tck = $c["clk_tck"]
            tunnel = $c["tunnel_cpu_ticks"] / tck; busy = $c["machine_busy_ticks"] / tck; soft = $c["softirq_ticks"] / tck
            retr = $c["retransmits"]; sent = $c["ping_sent"]; recv = $c["ping_received"]
            udpa = $c["udp_rcvbuf_errors_a"]; udpb = $c["udp_rcvbuf_errors_b"]
            deva = $c["tunnel_device_drops_a"]; devb = $c["tunnel_device_drops_b"]
            veth = $c["underlay_drops"]; softnet = $c["softnet_drops"]
            print '"$3"' }' "$run_dir/runs.tsv"
}

# summarize: summary.tsv with one line per system and stream count (medians over the runs; ping pooled).
summarize() {
    local out="$run_dir/summary.tsv" sys n
    printf 'system\tstreams\truns\tgbps\tgbps_min\tgbps_max\tretransmits\ttunnel_cpu_s_per_gb\tmachine_cpu_s_per_gb\tsoftirq_s_per_gb\tping_median_ms\tping_p99_ms\tping_sent\tping_received\tkernel_drops\n' >"$out"
    for sys in "${systems[@]}"; do
        for n in "${streams[@]}"; do
            local count
            count=$(rows "$sys" "$n" 1 | wc -l)
            if [ "$count" -eq 0 ]; then
                continue
            fi
            local gbps gmin gmax retr tunnel busy soft pm pp sent recv
            read -r gbps _ _ < <(rows "$sys" "$n" 'bits / 1e9' | median_p99)
            gmin=$(rows "$sys" "$n" 'bits / 1e9' | sort -g | head -n 1)
            gmax=$(rows "$sys" "$n" 'bits / 1e9' | sort -g | tail -n 1)
            read -r retr _ _ < <(rows "$sys" "$n" retr | median_p99)
            read -r tunnel _ _ < <(rows "$sys" "$n" 'tunnel / gb' | median_p99)
            read -r busy _ _ < <(rows "$sys" "$n" 'busy / gb' | median_p99)
            read -r soft _ _ < <(rows "$sys" "$n" 'soft / gb' | median_p99)
            pm=- pp=-
            sent=$(rows "$sys" "$n" sent | awk '{ t += $1 } END { print t + 0 }')
            recv=$(rows "$sys" "$n" recv | awk '{ t += $1 } END { print t + 0 }')
            if [ "$n" -eq 1 ]; then
                read -r pm pp _ < <(cat "$run_dir/ping/$sys-P1-r"*.txt 2>/dev/null | median_p99)
            fi
            # Kernel drops, median per run: "UDP rcvbuf A/B, tunnel device A/B, veth, softnet".
            local kd='' what value
            for what in udpa udpb deva devb veth softnet; do
                read -r value _ _ < <(rows "$sys" "$n" "$what" | median_p99)
                kd="$kd${kd:+ }$(fixed "$value" 0)"
            done
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$sys" "$n" "$count" "$gbps" "$gmin" "$gmax" \
                "$retr" "$tunnel" "$busy" "$soft" "$pm" "$pp" "$sent" "$recv" "$kd" >>"$out"
        done
    done
}

# summary_value SYSTEM STREAMS COLUMN: one value of summary.tsv, or empty.
summary_value() {
    awk -F'\t' -v s="$1" -v n="$2" -v col="$3" '
        NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $1 == s && $2 == n { print $c[col] }' "$run_dir/summary.tsv"
}

ratio() {
    if [ -z "$1" ] || [ -z "$2" ]; then
        printf '–'
    else
        awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else printf "–" }'
    fi
}

fixed() { # fixed VALUE DIGITS: VALUE with DIGITS decimals, "–" when it is missing
    if [ -z "$1" ] || [ "$1" = - ]; then printf '–'; else awk -v v="$1" -v d="$2" 'BEGIN { printf "%.*f", d, v }'; fi
}

# results_table: the markdown tables of summary.tsv, with the systems that failed.
results_table() {
    local sys n gbps
    printf '| system | streams | throughput, Gbit/s (median) | × %s | × %s | TCP retransmits (median) | tunnel CPU s/GB | ping under load, median / p99 ms |\n' \
        "$(system_label wireguard-go)" "$(system_label nebula)"
    printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
    for sys in "${systems[@]}"; do
        for n in "${streams[@]}"; do
            gbps=$(summary_value "$sys" "$n" gbps)
            if [ -z "$gbps" ]; then
                printf '| %s | %s | failed | | | | | |\n' "$(system_label "$sys")" "$n"
                continue
            fi
            local cpu ping='–'
            cpu=$(fixed "$(summary_value "$sys" "$n" tunnel_cpu_s_per_gb)" 2)
            [ "$sys" != veth ] || cpu='– (no tunnel)'
            if [ "$n" -eq 1 ]; then
                ping="$(fixed "$(summary_value "$sys" "$n" ping_median_ms)" 3) / $(fixed "$(summary_value "$sys" "$n" ping_p99_ms)" 3)"
            fi
            printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(system_label "$sys")" "$n" "$(fixed "$gbps" 2)" \
                "$(ratio "$gbps" "$(summary_value wireguard-go "$n" gbps)")" "$(ratio "$gbps" "$(summary_value nebula "$n" gbps)")" \
                "$(fixed "$(summary_value "$sys" "$n" retransmits)" 0)" "$cpu" "$ping"
        done
    done
}

# baseline_lines: RouterHost ÷ its baseline build per stream count, when the run had one.
baseline_lines() {
    local n
    [[ " ${systems[*]} " == *" routerhost-baseline "* ]] || return 0
    printf '\nBaseline build: %s\n\n' "$baseline_dll"
    for n in "${streams[@]}"; do
        printf -- '- %s stream(s): RouterHost ÷ baseline build = %s throughput, %s tunnel CPU s/GB\n' "$n" \
            "$(ratio "$(summary_value routerhost "$n" gbps)" "$(summary_value routerhost-baseline "$n" gbps)")" \
            "$(ratio "$(summary_value routerhost "$n" tunnel_cpu_s_per_gb)" "$(summary_value routerhost-baseline "$n" tunnel_cpu_s_per_gb)")"
    done
}

detail_table() {
    local sys n
    printf '| system | streams | runs | Gbit/s min – max | machine CPU s/GB (all cores busy) | of which softirq s/GB | pings lost | kernel drops per run: UDP rcvbuf A / B, tunnel device A / B, veth, softnet |\n'
    printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
    for sys in "${systems[@]}"; do
        for n in "${streams[@]}"; do
            [ -n "$(summary_value "$sys" "$n" gbps)" ] || continue
            local lost='–'
            if [ "$n" -eq 1 ]; then
                lost="$(($(summary_value "$sys" "$n" ping_sent) - $(summary_value "$sys" "$n" ping_received))) of $(summary_value "$sys" "$n" ping_sent)"
            fi
            local kd
            read -r -a kd <<<"$(summary_value "$sys" "$n" kernel_drops)"
            printf '| %s | %s | %s | %s – %s | %s | %s | %s | %s / %s, %s / %s, %s, %s |\n' "$(system_label "$sys")" "$n" "$(summary_value "$sys" "$n" runs)" \
                "$(fixed "$(summary_value "$sys" "$n" gbps_min)" 2)" "$(fixed "$(summary_value "$sys" "$n" gbps_max)" 2)" \
                "$(fixed "$(summary_value "$sys" "$n" machine_cpu_s_per_gb)" 2)" "$(fixed "$(summary_value "$sys" "$n" softirq_s_per_gb)" 2)" "$lost" \
                "${kd[@]}"
        done
    done
}

# RouterHost's drop counters, summed over every bring-up of each variant (from the saved `routerhost show --json`).
routerhost_drops() {
    local sys files
    for sys in "${systems[@]}"; do
        [[ $sys == routerhost* ]] || continue
        files=("$run_dir/status/$sys"-r*-[ab].json)
        [ ${#files[@]} -gt 0 ] || continue
        local text
        text=$(for f in "${files[@]}"; do
            side=${f%.json}
            side=${side##*-}
            jq -r --arg side "$side" '
                ((.interfaces // [])[] | (.rx_drops // {}), (.tx_drops // {}) | to_entries[] | [$side, .key, .value]),
                ((.stages // [])[] | (.dropped // {}) | to_entries[] | [$side, .key, .value]),
                ((.stages // [])[] | .status | objects | (.drops // {}) | to_entries[] | [$side, .key, .value]) | @tsv' "$f" 2>/dev/null
        done | awk -F'\t' '$3 > 0 { t[$1 " " $2] += $3 } END { for (k in t) { split(k, p, " "); printf "%s %s %d\n", p[1], p[2], t[k] } }' |
            sort | awk '{ printf "%s%s on %s: %d", (NR > 1 ? "; " : ""), $2, toupper($1), $3 }')
        printf -- '- %s: %s\n' "$(system_label "$sys")" "${text:-no drops}"
    done
}

# How RouterHost's received packets spread over its queues (from each node's per-queue totals logged at stop),
# summed over every bring-up of each variant: whether the work used more than one thread per node.
routerhost_queues() {
    local sys side
    for sys in "${systems[@]}"; do
        [[ $sys == routerhost* ]] || continue
        local text=''
        for side in a b; do
            local -a logs=("$run_dir/logs/$sys"-r*-"$side".log)
            [ ${#logs[@]} -gt 0 ] || continue
            local part
            part=$(cat "${logs[@]}" | awk '
                match($0, /: [^ ]+\/q[0-9]+: received [0-9]+ packets/) {
                    split(substr($0, RSTART + 2, RLENGTH - 2), f, " ")
                    q = f[1]; sub(/:$/, "", q); n = split(q, p, "/q")
                    iface = substr(q, 1, length(q) - length(p[n]) - 2)
                    count[iface, p[n]] += f[3]; total[iface] += f[3]
                    if (!((iface, p[n]) in seen)) { seen[iface, p[n]] = 1; order[iface] = order[iface] " " p[n] }
                    if (!(iface in known)) { known[iface] = 1; ifaces[++m] = iface }
                }
                END {
                    for (i = 1; i <= m; i++) {
                        iface = ifaces[i]; k = split(order[iface], qs, " ")
                        printf "%s%s", (i > 1 ? ", " : ""), iface
                        for (j = 1; j <= k; j++)
                            printf " q%s %.0f%%", qs[j], (total[iface] > 0 ? 100 * count[iface, qs[j]] / total[iface] : 0)
                    }
                }')
            text="$text${text:+; }${side^^}: ${part:-no queue totals logged}"
        done
        [ -z "$text" ] || printf -- '- %s: %s\n' "$(system_label "$sys")" "$text"
    done
}

# Where each RouterHost variant's CPU went, per thread and node: the busiest threads as the share of one core they
# kept busy during the runs (median over the runs). A thread near 100 % bounds the tunnel.
routerhost_threads() {
    [ -s "$run_dir/threads.tsv" ] || return 0
    local sys n
    for sys in "${systems[@]}"; do
        [[ $sys == routerhost* ]] || continue
        for n in "${streams[@]}"; do
            local text
            text=$(awk -F'\t' -v s="$sys" -v n="$n" '
                $1 == s && $2 == n {
                    key = $4 "\t" $7; v = 100 * $8 / $6 / $5
                    c[key]++; vals[key, c[key]] = v
                }
                END {
                    for (k in c) {
                        m = c[k]; for (i = 1; i <= m; i++) a[i] = vals[k, i]
                        for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
                        med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
                        split(k, p, "\t"); printf "%s\t%.0f\t%s\n", p[1], med, p[2]
                    }
                }' "$run_dir/threads.tsv" | sort -t$'\t' -k1,1 -k2,2nr | awk -F'\t' '
                    $2 >= 5 { name = $3; sub(/^rh /, "", name)
                              out[$1] = out[$1] (out[$1] == "" ? "" : ", ") name " " $2 "%" }
                    END { printf "A: %s; B: %s", out["A"], out["B"] }')
            printf -- '- %s, %s stream%s: %s\n' "$(system_label "$sys")" "$n" "$([ "$n" -eq 1 ] || echo s)" "$text"
        done
    done
}

# chart: throughput.png, a clustered bar per system (1 and 4 streams), log scale, the raw veth ceiling dashed.
chart() {
    local data="$run_dir/chart.dat" sys n value line
    : >"$data"
    for sys in "${systems[@]}"; do
        line="\"$(system_label "$sys" | sed 's/, /\\n/')\""
        for n in "${streams[@]}"; do
            value=$(summary_value "$sys" "$n" gbps)
            line="$line ${value:--}"
        done
        printf '%s\n' "$line" >>"$data"
    done
    if [ "$(awk -F'\t' 'NR > 1' "$run_dir/summary.tsv" | wc -l)" -eq 0 ]; then
        warn "no system was measured; no chart"
        return 0
    fi
    local ceiling
    ceiling=$(summary_value veth "${streams[0]}" gbps)
    local -a plots=()
    local i offset
    for i in "${!streams[@]}"; do
        plots+=("'$data' using $((i + 2)):xtic(1) title '${streams[$i]} stream$([ "${streams[$i]}" -eq 1 ] || echo s)'")
    done
    for i in "${!streams[@]}"; do
        # Cluster c's bar i is centred at c + (i - (k - 1) / 2) / (k + 1) for k series with gap 1.
        offset=$(awk -v i="$i" -v k="${#streams[@]}" 'BEGIN { printf "%.4f", (i - (k - 1) / 2) / (k + 1) }')
        plots+=("'' using (\$0 + $offset):$((i + 2)):(sprintf('%.2f', \$$((i + 2)))) with labels offset 0,0.7 font ',8' notitle")
    done
    {
        printf 'set terminal pngcairo size 1400,700 font "sans,10"\n'
        printf 'set output "%s"\n' "$run_dir/throughput.png"
        printf 'set title "TCP throughput through each tunnel (iperf3, median of %s run(s) of %s s; %s)"\n' "$runs" "$duration" "$(date +%Y-%m-%d)"
        printf 'set datafile missing "-"\n'
        printf 'set style data histogram\nset style histogram cluster gap 1\nset style fill solid 0.8 border -1\nset boxwidth 0.9\n'
        printf 'set logscale y\nset yrange [0.05:%s]\n' "$(awk -F'\t' 'NR > 1 && $4 > m { m = $4 } END { print (m > 0 ? m : 10) * 2.5 }' "$run_dir/summary.tsv")"
        printf 'set ylabel "Gbit/s (log scale)"\nset grid ytics\nset key top right\nset xtics nomirror\nset bmargin 5\n'
        if [ -n "$ceiling" ]; then
            printf 'set arrow from graph 0, first %s to graph 1, first %s nohead dashtype 2 lc rgb "gray30"\n' "$ceiling" "$ceiling"
            printf 'set label "raw veth ceiling (%s stream%s): %.1f Gbit/s" at graph 0.5, first %s offset 0,0.8 center tc rgb "gray30"\n' \
                "${streams[0]}" "$([ "${streams[0]}" -eq 1 ] || echo s)" "$ceiling" "$ceiling"
        fi
        printf 'plot %s\n' "$(IFS=,; echo "${plots[*]}")"
    } >"$run_dir/chart.gp"
    gnuplot "$run_dir/chart.gp" 2>"$run_dir/chart.log" || warn "gnuplot could not draw the chart: $(head -c 400 "$run_dir/chart.log")"
}

write_results() {
    summarize
    chart
    {
        printf '# Tunnel benchmark, %s\n\n' "$(date '+%Y-%m-%d %H:%M %Z')"
        [ "$quick" -eq 0 ] || printf '**Development run (`--quick`): 1 run of %s s per system on a shared machine; not a result.**\n\n' "$duration"
        machine_info
        printf -- '- iperf3 %s s per run, %s run(s) (median), streams %s, client in %s, server in %s; overlay MTU %s; warm-up %s s after each bring-up; runs interleaved by round\n' \
            "$duration" "$runs" "${streams[*]}" "$ns_a" "$ns_b" "$overlay_mtu" "$warmup"
        printf -- '- RouterHost: 2 TUN queues, 2 sockets, BatchSize 64 (unless the row says otherwise); nebula routines %s, cipher %s\n' "$nebula_routines" "$nebula_cipher"
        printf -- '- command: `%s`\n\n' "$command_line"
        results_table
        baseline_lines
        printf '\nTunnel CPU s/GB: user+system CPU of the two tunnel processes (both ends) per GB (10^9 bytes) received. '
        printf 'Kernel work done in softirq context (veth, TCP, the UDP underlay) is charged to whatever was running and is not '
        printf 'attributable to a tunnel; the machine-wide figures below include it, and iperf3 itself, and anything else running.\n\n'
        detail_table
        if [ ${#failures[@]} -gt 0 ]; then
            printf '\nFailures:\n'
            printf -- '- %s\n' "${failures[@]}"
        fi
        local drops
        drops=$(routerhost_drops)
        if [ -n "$drops" ]; then
            printf '\nRouterHost drop counters (A = client side, B = server side; summed over all runs):\n%s\n' "$drops"
        fi
        local threads
        threads=$(routerhost_threads)
        if [ -n "$threads" ]; then
            printf '\nRouterHost CPU per thread (share of one core during the run, median; threads under 5 %% left out):\n%s\n' "$threads"
        fi
        local queues
        queues=$(routerhost_queues)
        if [ -n "$queues" ]; then
            printf '\nRouterHost packets received per queue (share of each interface'"'"'s total; "stage/wg" are the WireGuard sockets):\n%s\n' "$queues"
        fi
        printf '\n![throughput](throughput.png)\n'
    } >"$run_dir/results.md"
}

# The memory run's report: per node the RSS at start (before traffic), after warm-up, max and end, and whether it
# grew: bounded when the second half of the samples after warm-up sets no new high (2 %% + 1 MiB tolerance).
memory_report() {
    local warm=$((memory_seconds / 10))
    [ $warm -le 60 ] || warm=60
    local out="$run_dir/memory.md"
    local gbps first last span
    gbps=$(jq -r '.end.sum_received.bits_per_second / 1e9' "$run_dir/iperf/memory.json")
    # The mean of the first and of the last `span` one-second intervals (60, or half the run when it is shorter).
    read -r span first last < <(jq -r '[.intervals[] | .sum.bits_per_second] as $v | ($v | length) as $n |
        ([($n / 2 | floor), 60] | min | if . < 1 then 1 else . end) as $k |
        [$k, ($v[:$k] | add / $k / 1e9), ($v[($n - $k):] | add / $k / 1e9)] | @tsv' "$run_dir/iperf/memory.json")
    {
        printf '# RouterHost steady-state memory, %s\n\n' "$(date '+%Y-%m-%d %H:%M %Z')"
        machine_info
        printf -- '- RouterHost ↔ RouterHost (offloads on), one iperf3 transfer of %s s with %s stream(s); RSS (/proc/PID/status VmRSS) every %s s; warm-up %s s\n' \
            "$memory_seconds" "$memory_streams" "$memory_interval" "$warm"
        printf -- '- throughput: %.2f Gbit/s overall; first %s s %.2f, last %s s %.2f; RouterHost CPU (both nodes) %.1f s for %.1f GB (%.2f s/GB)\n\n' \
            "$gbps" "$span" "$first" "$span" "$last" "$(awk -v t="$memory_cpu_ticks" -v k="$clk_tck" 'BEGIN { print t / k }')" \
            "$(jq -r '.end.sum_received.bytes / 1e9' "$run_dir/iperf/memory.json")" \
            "$(awk -v t="$memory_cpu_ticks" -v k="$clk_tck" -v b="$(jq -r '.end.sum_received.bytes' "$run_dir/iperf/memory.json")" 'BEGIN { print t / k / (b / 1e9) }')"
        printf '| node | RSS start MiB | after warm-up MiB | max MiB | end MiB | anon end MiB | threads | slope, 2nd half, MiB/min | verdict |\n'
        printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n'
        local node col
        for node in A B; do
            col=2
            [ $node = A ] || col=5
            awk -F'\t' -v c="$col" -v warm="$warm" -v node="$node" '
                NR == 1 { next }
                { t[++n] = $1; r[n] = $c / 1024; a[n] = $(c + 1) / 1024; th[n] = $(c + 2) }
                END {
                    w = 0; for (i = 1; i <= n; i++) if (t[i] >= warm) { w = i; break }
                    if (w == 0) w = n
                    max = 0; for (i = 1; i <= n; i++) if (r[i] > max) max = r[i]
                    mid = w + int((n - w + 1) / 2)
                    m1 = 0; for (i = w; i < mid; i++) if (r[i] > m1) m1 = r[i]
                    m2 = 0; for (i = mid; i <= n; i++) if (r[i] > m2) m2 = r[i]
                    sx = sy = sxx = sxy = 0; k = 0
                    for (i = mid; i <= n; i++) { k++; sx += t[i]; sy += r[i]; sxx += t[i] * t[i]; sxy += t[i] * r[i] }
                    slope = (k > 1 && k * sxx - sx * sx > 0) ? (k * sxy - sx * sy) / (k * sxx - sx * sx) * 60 : 0
                    verdict = (n - w < 4) ? "too short to judge" : (m2 <= m1 * 1.02 + 1 ? "bounded (2nd-half max within 2 % + 1 MiB of the 1st-half max)" : "GREW")
                    printf "| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %d | %+.2f | %s |\n", node, r[1], r[w], max, r[n], a[n], th[n], slope, verdict
                }' "$run_dir/memory.tsv"
        done
        printf '\nThe GC heap is not visible from outside the process without diagnostics tooling; RssAnon (anon) is the closest proxy.\n'
        printf '\n![memory](memory.png)\n'
    } >"$out"
    jq -r '.intervals[] | [.sum.end, .sum.bits_per_second / 1e9] | @tsv' "$run_dir/iperf/memory.json" >"$run_dir/memory-throughput.dat"
    {
        printf 'set terminal pngcairo size 1200,600 font "sans,10"\nset output "%s"\n' "$run_dir/memory.png"
        printf 'set title "RouterHost RSS during a %s s transfer"\nset xlabel "seconds"\nset ylabel "RSS, MiB"\nset y2label "Gbit/s"\n' "$memory_seconds"
        printf 'set ytics nomirror\nset y2tics\nset yrange [0:*]\nset y2range [0:*]\nset grid\nset key bottom right\n'
        printf 'plot "%s" using 1:($2/1024) every ::1 with linespoints title "RSS A (client side)", ' "$run_dir/memory.tsv"
        printf '"%s" using 1:($5/1024) every ::1 with linespoints title "RSS B (server side)", ' "$run_dir/memory.tsv"
        printf '"%s" using 1:2 axes x1y2 with lines lc rgb "gray60" title "throughput"\n' "$run_dir/memory-throughput.dat"
    } >"$run_dir/memory.gp"
    gnuplot "$run_dir/memory.gp" 2>"$run_dir/chart.log" || warn "gnuplot could not draw the memory chart: $(head -c 400 "$run_dir/chart.log")"
}
