# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Sourced by the other scripts: heaprr_deps installs, with apt-get, the Debian 12 packages that the
# build, tests, demo and benchmarks need, only those missing. Not meant to be run on its own.
#
#   heaprr_deps [--heaptrack] [PACKAGE...]
#     --heaptrack  also heaptrack (benchmarks compare against it)
#     PACKAGE      further packages a caller needs
#   HEAPRR_DEPS_DRY_RUN=1  print what would be installed and how, change nothing
#
# Returns 0 when everything is installed (or would be, in a dry run), non-zero otherwise.

# Everything the build, tests, demo and benchmarks need; add new dependencies here.
HEAPRR_DEPS_PACKAGES=(
    build-essential
    cmake
    pkg-config
    libzstd-dev
    libunwind-dev
    libdw-dev
    libjemalloc2      # an allocator to replay traces on (heaprr replay --allocator)
    libmimalloc2.0    # another one
    gnuplot-nox       # heaprr plot, bins --plot, report
    libc-devtools     # glibc's mtrace(1) script (tests of heaprr export --to mtrace)
    babeltrace2       # the babeltrace2 CLI (tests of the heaprr plugin)
    libbabeltrace2-dev # libbabeltrace2: the plugin, heaprr export --to ctf
    liblttng-ust-dev  # LTTng-UST tracepoints
    lttng-tools       # lttng-sessiond and lttng
    clang             # the fuzz targets (HEAPRR_FUZZ)
    libclang-rt-dev   # libFuzzer and clang's sanitizer runtimes (only recommended by clang)
    libprotobuf-c-dev # heaprr export --to pprof: profile.proto's messages
    protobuf-c-compiler # protoc-c, which generates them at build time
    zlib1g-dev        # the gzip around a pprof file
    golang-go         # 'go tool pprof', which the tests run on the export
    chromium          # the headless browser the HTML report is tested in
    python3
    time              # GNU /usr/bin/time, used by the benchmarks
    file
    # tests/realworld: real programs recorded natively and under heaprr record
    default-jdk-headless # java, javac
    nodejs
    ruby
    perl
    sqlite3
    gcc
    gdb
    git
    xz-utils
    valgrind          # memcheck's invalid-free findings, compared with heaprr replay's
)
# Only with --heaptrack.
HEAPRR_DEPS_BENCH_PACKAGES=(heaptrack)

# Succeeds when dpkg knows the package as installed (not merely removed with its config left).
heaprr_deps_installed()
{
    local status
    status=$(dpkg -s "$1" 2>/dev/null) || return 1
    [[ $status == *"Status: install ok installed"* ]]
}

heaprr_deps()
{
    local wanted=("${HEAPRR_DEPS_PACKAGES[@]}") missing=() sudo=() pkg
    while (($#)); do
        case $1 in
        --heaptrack) wanted+=("${HEAPRR_DEPS_BENCH_PACKAGES[@]}") ;;
        -*) echo "heaprr_deps: unknown option $1" >&2; return 2 ;;
        *) wanted+=("$1") ;;
        esac
        shift
    done
    if ! command -v dpkg >/dev/null || ! command -v apt-get >/dev/null; then
        echo "deps: dpkg and apt-get not found: install ${wanted[*]} by hand (Debian 12 names)" >&2
        return 1
    fi
    for pkg in "${wanted[@]}"; do
        heaprr_deps_installed "$pkg" || missing+=("$pkg")
    done
    if ((${#missing[@]} == 0)); then
        echo "deps: all ${#wanted[@]} packages present"
        return 0
    fi

    if ((EUID != 0)); then
        if command -v sudo >/dev/null; then
            sudo=(sudo)
        elif [[ ${HEAPRR_DEPS_DRY_RUN:-0} != 1 ]]; then
            echo "deps: missing ${missing[*]}: run as root, or install sudo, to install them" >&2
            return 1
        fi
    fi
    local env=(env DEBIAN_FRONTEND=noninteractive)
    if [[ ${HEAPRR_DEPS_DRY_RUN:-0} == 1 ]]; then
        echo "deps: would install: ${missing[*]}"
        echo "deps: would run: ${sudo[*]}${sudo:+ }${env[*]} apt-get update"
        echo "deps: would run: ${sudo[*]}${sudo:+ }${env[*]} apt-get install -y --no-install-recommends ${missing[*]}"
        return 0
    fi
    echo "deps: installing: ${missing[*]}"
    "${sudo[@]}" "${env[@]}" apt-get update -q || return 1
    "${sudo[@]}" "${env[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" || return 1
    for pkg in "${missing[@]}"; do
        if ! heaprr_deps_installed "$pkg"; then
            echo "deps: $pkg is still not installed after apt-get" >&2
            return 1
        fi
    done
}
