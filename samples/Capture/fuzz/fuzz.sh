#!/usr/bin/env bash
# Runs the capture sample's fuzz targets (settings, packet) under afl-fuzz through SharpFuzz:
#   samples/Capture/fuzz/fuzz.sh [TARGET|all] [SECONDS]      (default: all, 60 s each)
# Needs afl-fuzz (Debian package afl++) and the sharpfuzz tool (`dotnet tool restore` at the repository root installs it
# from .config/dotnet-tools.json), and dist/packages from scripts/pack. Each target's build output is copied to
# ${ROUTERHOST_FUZZ_WORK:-~/.cache/routerhost-fuzz}/capture-TARGET, RouterHost.Samples.Capture.dll instrumented there,
# and afl-fuzz run from samples/Capture/fuzz/corpus/TARGET. Crashes are copied to samples/Capture/fuzz/crashes/TARGET.
# Exit 0 when no target crashed, 1 when one did, 2 when afl-fuzz could not run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
which=${1:-all}
seconds=${2:-60}
targets=$([ "$which" = all ] && echo "settings packet" || echo "$which")
work=${ROUTERHOST_FUZZ_WORK:-$HOME/.cache/routerhost-fuzz}

dotnet build "$here/Capture.Fuzz.csproj" -c Release -nologo -clp:ErrorsOnly >/dev/null
(cd "$repo" && dotnet tool restore >/dev/null)
export AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_BIN_CHECK=1
export AFL_FORKSRV_INIT_TMOUT=120000 AFL_NO_AUTODICT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_TieredCompilation=0
status=0
for t in $targets; do
    dir="$work/capture-$t"
    rm -rf "$dir" && mkdir -p "$dir/bin" "$here/crashes/$t"
    cp -r "$here/bin/Release/net10.0/." "$dir/bin/"
    (cd "$repo" && dotnet sharpfuzz "$dir/bin/RouterHost.Samples.Capture.dll") >"$dir/instrument.log"
    nice -n 10 afl-fuzz -i "$here/corpus/$t" -o "$dir/out" -m none -t 5000 -V "$seconds" \
        -- "$(command -v dotnet)" "$dir/bin/Capture.Fuzz.dll" "$t" >"$dir/afl.log" 2>&1 || { echo "fuzz $t: afl-fuzz could not run (see $dir/afl.log)"; status=2; continue; }
    stats="$dir/out/default/fuzzer_stats"
    crashes=$(find "$dir/out/default/crashes" -type f -name 'id:*' | wc -l)
    find "$dir/out/default/crashes" -type f -name 'id:*' -exec cp {} "$here/crashes/$t/" \;
    echo "fuzz $t: $(sed -n 's/^execs_done *: *//p' "$stats") executions, $(sed -n 's/^edges_found *: *//p' "$stats") edges, corpus $(sed -n 's/^corpus_count *: *//p' "$stats"), crashes $crashes"
    [ "$crashes" -eq 0 ] || status=1
done
exit $status
