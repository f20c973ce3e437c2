# Sourced by scripts/run and scripts/test: makes sure the machine has what RouterHost needs.
# Debian packages are installed with apt-get when missing (needs root); NuGet packages come with restore.

routerhost_require_dotnet() {
    if ! command -v dotnet >/dev/null 2>&1; then
        echo "error: the .NET SDK 10 is required (dotnet was not found on PATH); install it and run this again" >&2
        exit 1
    fi
    local major
    major=$(dotnet --version 2>/dev/null | cut -d. -f1)
    if [ "${major:-0}" -lt 10 ]; then
        echo "error: the .NET SDK 10 or newer is required; found $(dotnet --version 2>/dev/null)" >&2
        exit 1
    fi
    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
}

# routerhost_require_packages COMMAND:PACKAGE ... installs PACKAGE when COMMAND is missing.
routerhost_require_packages() {
    local missing=()
    local pair
    for pair in "$@"; do
        local cmd=${pair%%:*} pkg=${pair#*:}
        if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ] && [ ! -x "/sbin/$cmd" ]; then
            missing+=("$pkg")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
    echo "Installing Debian packages: ${missing[*]}"
    if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
        apt-get update -q >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" || {
            echo "error: could not install: ${missing[*]}" >&2
            exit 1
        }
    fi
}

# RouterHost refuses plugins (and configuration and keys) in folders that another user could write or replace
# (FileTrust, docs/architecture/file-trust.md). The build deploys plugins inside this checkout, so the checkout and
# every folder above it must pass the same rule: owned by root or you, not writable by group or others (a sticky
# folder such as /tmp is fine above a folder you own). Says which folder fails and the fix, instead of every plugin
# being refused later.
routerhost_require_trusted_checkout() {
    local dir uid mode owner
    dir=$(pwd -P)
    uid=$(id -u)
    while :; do
        mode=$(stat -c '%a' "$dir")
        owner=$(stat -c '%u' "$dir")
        if [ "$owner" != 0 ] && [ "$owner" != "$uid" ]; then
            echo "error: $dir is owned by uid $owner, neither root nor you: RouterHost would refuse the plugins built below it; run: chown $uid '$dir' (or clone RouterHost elsewhere)" >&2
            return 1
        fi
        if [ $((8#$mode & 8#022)) -ne 0 ] && [ $((8#$mode & 8#1000)) -eq 0 ]; then
            echo "error: $dir is writable by group or others (mode $mode): RouterHost would refuse the plugins built below it; run: chmod go-w '$dir' (or clone RouterHost elsewhere)" >&2
            return 1
        fi
        [ "$dir" = / ] && return 0
        dir=$(dirname "$dir")
    done
}
