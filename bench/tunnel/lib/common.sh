# Sourced by bench/tunnel/run: logging, waits, the processes the benchmark starts, the two namespaces and their
# veth underlay, and the cleanup that removes all of it (also what a crashed earlier run left behind).

# Everything this run creates is named after its pid: namespaces rhtb-<pid>-a/b, the temp dir /tmp/rhtb-<pid>.*,
# wireguard-go's devices tbwg<pid>a/b (their UAPI sockets live in the global /var/run/wireguard).
readonly tb_prefix=rhtb
readonly ns_a="$tb_prefix-$$-a"
readonly ns_b="$tb_prefix-$$-b"
readonly underlay_a=192.168.77.1
readonly underlay_b=192.168.77.2
readonly lock_file=/run/rhtb.lock

declare -A procs=()      # pid -> what it is, for every process started here (stopped by pid at cleanup)
declare -A proc_logs=()  # pid -> its log file
created_ns=()
tmp=''
spawned_pid=''
problem_text=''

log() { printf '%s  %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# problem TEXT: the reason the current step failed (printed by the caller that gives up on it).
problem() {
    problem_text=$*
    printf 'error: %s\n' "$*" >&2
    return 1
}

# The last lines of a log, indented, for error messages.
log_tail() {
    local file=$1 lines=${2:-15}
    if [ -s "$file" ]; then
        printf '\n'
        tail -n "$lines" "$file" | sed 's/^/    | /'
    else
        printf ' (its log %s is empty)' "$file"
    fi
}

now_us() { printf '%s' "${EPOCHREALTIME/./}"; }

# in_background OUT ERR COMMAND...: runs COMMAND as a background job, its output to OUT and ERR, and waits for it.
# A Ctrl-C then interrupts the wait at once and runs the INT trap; had COMMAND run in the foreground and caught the
# SIGINT itself (iperf3 and ping do, and exit normally), bash would carry on as if nothing had happened. (The
# redirections stay on COMMAND: on the call they would also capture what the trap prints.)
in_background() {
    local out=$1 err=$2
    shift 2
    "$@" >"$out" 2>"$err" </dev/null 8>&- 9>&- &
    local pid=$! rc=0
    procs[$pid]=$1
    wait "$pid" || rc=$?
    unset "procs[$pid]"
    return $rc
}

# wait_until SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds (0) or SECONDS have passed (1).
wait_until() {
    local limit=$1
    shift
    local end=$(($(now_us) + limit * 1000000))
    until in_background /dev/null /dev/null "$@"; do
        if (($(now_us) > end)); then
            return 1
        fi
        sleep 0.1
    done
}

# True while PID runs (an exited child that was not reaped yet is a zombie: not running).
pid_alive() {
    local stat
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

# spawn NS NAME LOG COMMAND...: starts COMMAND inside namespace NS in the background, output to LOG; its pid is
# left in spawned_pid (ip netns exec execs COMMAND, so the pid is COMMAND's own).
spawn() {
    local ns=$1 name=$2 logfile=$3
    shift 3
    ip netns exec "$ns" "$@" >"$logfile" 2>&1 </dev/null 8>&- 9>&- &
    spawned_pid=$!
    procs[$spawned_pid]=$name
    proc_logs[$spawned_pid]=$logfile
}

# stop_pid PID [SECONDS]: SIGTERM, SIGKILL after SECONDS (default 10); returns 1 when SIGKILL was needed.
stop_pid() {
    local pid=$1 limit=${2:-10} rc=0
    if pid_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        if ! wait_until "$limit" eval "! pid_alive $pid"; then
            kill -KILL "$pid" 2>/dev/null || true
            rc=1
        fi
    fi
    wait "$pid" 2>/dev/null || true
    unset "procs[$pid]" "proc_logs[$pid]"
    return $rc
}

# User+system CPU of PID so far, in clock ticks (threads that ended are included by the kernel).
cpu_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    local -a f
    read -r -a f <<<"$stat"
    # After "pid (comm) ", field 0 is the state (stat field 3), so utime (14) and stime (15) are 11 and 12.
    printf '%d' $((f[11] + f[12]))
}

# The machine's busy and softirq time so far (all CPUs, clock ticks), from the first line of /proc/stat.
machine_ticks() {
    local _cpu user nice system idle iowait irq softirq steal _rest
    read -r _cpu user nice system idle iowait irq softirq steal _rest </proc/stat
    printf '%d %d' $((user + nice + system + irq + softirq + steal)) "$softirq"
}

# Takes the lock that keeps two runs from sharing the machine, then removes what earlier runs left behind. With
# the lock held no other run is alive, so every rhtb-* namespace, temp dir and tbwg* socket is stale. (No process
# started here inherits the lock's fd 9, so one left running by a killed run cannot hold the lock.)
acquire_and_sweep() {
    exec 9>>"$lock_file"
    flock -n 9 || die "another bench/tunnel run is in progress (it holds $lock_file); wait for it or stop it"
    local ns pid cmd dir
    local -a stale_ns=()
    while read -r ns _; do
        if [[ $ns =~ ^${tb_prefix}-[0-9]+-[ab]$ ]]; then
            stale_ns+=("$ns")
        fi
    done < <(ip netns list 2>/dev/null)
    local -a stale_dirs=(/tmp/"$tb_prefix"-[0-9]*.*)
    # Processes of a crashed run: those still in its namespaces, and any whose command line names its temp dir
    # or its wireguard-go device (a namespace already removed leaves its processes running, unnamed).
    local -a victims=()
    for ns in "${stale_ns[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            victims+=("$pid")
        done
    done
    for cmd in /proc/[0-9]*/cmdline; do
        pid=${cmd#/proc/}
        pid=${pid%/cmdline}
        [ "$pid" != $$ ] || continue
        local line
        line=$(tr '\0' ' ' 2>/dev/null <"$cmd") || continue
        for dir in "${stale_dirs[@]}"; do
            if [[ $line == *"$dir/"* ]]; then
                victims+=("$pid")
            fi
        done
        if [[ $line =~ wireguard-go\ -f\ tbwg[0-9]+[ab] ]]; then
            victims+=("$pid")
        fi
    done
    if [ ${#victims[@]} -gt 0 ]; then
        local -A unique=()
        for pid in "${victims[@]}"; do
            unique[$pid]=1
        done
        victims=("${!unique[@]}")
        log "stopping ${#victims[@]} process(es) left by an earlier run: ${victims[*]}"
        kill -TERM "${victims[@]}" 2>/dev/null || true
        for pid in "${victims[@]}"; do
            wait_until 5 eval "! pid_alive $pid" || kill -KILL "$pid" 2>/dev/null || true
        done
    fi
    for ns in "${stale_ns[@]}"; do
        log "removing namespace $ns left by an earlier run"
        ip netns del "$ns" 2>/dev/null || warn "could not remove stale namespace $ns"
    done
    for dir in "${stale_dirs[@]}"; do
        rm -rf "$dir"
    done
    local sock
    for sock in /var/run/wireguard/tbwg[0-9]*.sock; do
        rm -f "$sock"
    done
}

cleanup() {
    local rc=$?
    trap - EXIT ERR
    trap '' INT TERM HUP  # a second Ctrl-C must not cut the cleanup short
    set +e
    local pid
    for pid in "${!procs[@]}"; do
        stop_pid "$pid" 5
    done
    local ns
    for ns in "${created_ns[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null
        done
        ip netns del "$ns" 2>/dev/null
    done
    rm -f "/var/run/wireguard/tbwg$$a.sock" "/var/run/wireguard/tbwg$$b.sock"
    if [ -n "$tmp" ]; then
        rm -rf "$tmp"
    fi
    if [ $rc -ne 0 ] && [ -n "$tmp" ]; then
        printf 'bench/tunnel: stopped (exit code %d); its namespaces, processes and temp files are removed\n' "$rc" >&8
    fi
    exit $rc
}

on_error() {
    printf 'error: "%s" failed (exit %d) at %s\n' "$2" "$1" "$3" >&8
}

# The traps print to fd 8, the script's own stderr, whatever a function's redirections were when they fired.
install_traps() {
    exec 8>&2
    trap cleanup EXIT
    trap 'printf "\ninterrupted; cleaning up\n" >&8; exit 130' INT
    trap 'exit 143' TERM HUP
    trap 'on_error $? "$BASH_COMMAND" "${BASH_SOURCE[0]}:$LINENO"' ERR
}

make_temp_dir() {
    tmp=$(mktemp -d "/tmp/$tb_prefix-$$.XXXXXX")
    chmod 700 "$tmp"
}

# Two namespaces joined by one veth pair (ul0 in each): the underlay every tunnel runs over. IPv6 is off in both
# so no router solicitations or MLD reports wander into the tunnels and their drop counters.
setup_underlay() {
    local ns
    for ns in "$ns_a" "$ns_b"; do
        ip netns add "$ns" || die "could not create network namespace $ns"
        created_ns+=("$ns")
        ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null
        ip -n "$ns" link set lo up
    done
    ip -n "$ns_a" link add ul0 type veth peer name ul0 netns "$ns_b" || die "could not create the veth pair between $ns_a and $ns_b"
    ip -n "$ns_a" addr add "$underlay_a/24" dev ul0
    ip -n "$ns_b" addr add "$underlay_b/24" dev ul0
    ip -n "$ns_a" link set ul0 up
    ip -n "$ns_b" link set ul0 up
    wait_until 10 ip netns exec "$ns_a" ping -c 1 -W 1 "$underlay_b" ||
        die "no ping across the veth underlay ($ns_a $underlay_a -> $ns_b $underlay_b) in 10 s"
}

# Median and nearest-rank percentiles of numbers on standard input (one a line): "median p99 count".
median_p99() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "- - 0"; exit }
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        r = int(0.99 * NR); if (r < 0.99 * NR) r++; if (r < 1) r = 1
        printf "%.6g %.6g %d\n", m, v[r], NR }'
}
