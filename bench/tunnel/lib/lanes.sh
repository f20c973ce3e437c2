# shellcheck shell=bash
# The in-process lane-scaling benchmark (bench/tunnel/run --lanes): the WireGuard stage with one peer, one lane
# against two lanes carrying that peer at once (WireGuardLaneScalingBenchmarks, BenchmarkDotNet, in process), encrypt
# and decrypt; the speed-up is the one-lane time per packet over the two-lane one. No namespaces, no root: it only
# needs the .NET SDK. Writes lanes.md (and BenchmarkDotNet's own report) into a results directory.

lanes_main() {
    routerhost_require_dotnet
    local dir load_before load_after artifacts
    dir="$results_root/$(date +%Y%m%d-%H%M%S)-lanes"
    [ $quick -eq 0 ] || dir="$dir-quick"
    artifacts="$dir/BenchmarkDotNet.Artifacts"
    mkdir -p "$dir"
    load_before=$(load_average)
    log "lane scaling: one peer, 1 vs 2 lanes (in process; load $load_before)"
    local args=(--filter '*WireGuardLaneScalingBenchmarks*' --artifacts "$artifacts" --exporters markdown)
    [ $quick -eq 0 ] || args=(--quick "${args[@]}")
    (cd "$repo" && dotnet run -c Release --project bench/RouterHost.Benchmarks -- "${args[@]}") >"$dir/benchmark.log" 2>&1 ||
        die "the lane-scaling benchmark failed; see $dir/benchmark.log"
    load_after=$(load_average)
    lanes_report "$dir" "$load_before" "$load_after"
    cat "$dir/lanes.md"
    log "results: $dir"
}

# Reads the two-lane rows' Ratio column (two lanes' time per packet over one lane's) from BenchmarkDotNet's markdown
# report and writes lanes.md: the speed-up per direction and the machine's load.
lanes_report() {
    local dir=$1 before=$2 after=$3 table
    table=$(find "$dir/BenchmarkDotNet.Artifacts" -name '*LaneScaling*-report-github.md' | head -n 1)
    [ -n "$table" ] || die "no BenchmarkDotNet report in $dir/BenchmarkDotNet.Artifacts"
    {
        printf '# One peer over two lanes (in process)\n\n'
        printf -- '- machine: %s, %s cores, load %s before, %s after\n' \
            "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" "$(nproc)" "$before" "$after"
        printf -- '- commit: %s\n\n' "$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
        printf '| direction | 1 lane, time a packet | 2 lanes, time a packet | speed-up (packets/s, 2 lanes ÷ 1) | allocated |\n| --- | ---: | ---: | ---: | ---: |\n'
        awk -F'|' '
            function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
            !m && /\| *Method *\|/ { for (i = 1; i <= NF; i++) { h = trim($i); if (h == "Method") m = i; if (h == "Mean") t = i; if (h == "Allocated") a = i } next }
            m && trim($m) ~ /_(OneLane|TwoLanes)$/ {
                name = trim($m); dir = name; sub(/_.*/, "", dir); raw = trim($t); mean = raw; gsub(/[^0-9.]/, "", mean)
                if (name ~ /OneLane$/) { one[dir] = mean; oneRaw[dir] = raw } else { two[dir] = mean; twoRaw[dir] = raw }
                alloc[dir] = trim($a); order[dir] = ++n
            }
            END {
                for (d in order) if (one[d] != "" && two[d] != "" && two[d] > 0)
                    printf "| %s | %s | %s | %.2f× | %s |\n", d, oneRaw[d], twoRaw[d], one[d] / two[d], alloc[d]
            }' "$table"
        printf '\nBenchmarkDotNet'"'"'s table: %s\n' "${table#"$dir"/}"
    } >"$dir/lanes.md"
}
