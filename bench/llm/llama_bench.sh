#!/usr/bin/env bash
# llama_bench.sh — raw llama.cpp speed of a GGUF model on this machine, as a baseline for
# the `local` LLM provider (chatrec-llm with feature `local`).
#
# Builds llama.cpp's own `llama-bench` tool against the llama.cpp sources vendored in the
# `llama-cpp-sys-2` crate our build uses (its version is read from Cargo.lock), so the
# figures come from the same ggml/llama code as the in-process provider, then runs
#
#   llama-bench -m MODEL -p 512 -n 128 -t 2 -r 5 -o json
#
# (prompt processing of 512 tokens, "pp512", and generation of 128 tokens, "tg128", two
# threads, five repetitions) and writes llama-bench's JSON to stdout or to OUTPUT.
#
# Usage: bench/llm/llama_bench.sh [MODEL.gguf] [OUTPUT.json]
#   MODEL   default: data/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
#   OUTPUT  default: stdout (progress and build logs go to stderr)
#
# The build goes to ${CHATREC_CACHE:-$HOME/.cache/chatrec}/llama-bench-<version> and is
# skipped when that directory already holds the binary.
#
# The crate on crates.io ships only the parts of llama.cpp the library needs: its
# tools/llama-bench directory has no sources, and tools/CMakeLists.txt names tool
# directories that are not there. So the script configures a small wrapper project that
# adds the vendored llama.cpp (tools off) and builds only a `llama-bench` target from the
# tool's sources, found in this order:
#   1. $LLAMA_BENCH_SRC: a directory holding llama-bench.cpp (tools/llama-bench of a
#      llama.cpp checkout of a matching version), or a llama.cpp checkout;
#   2. tools/llama-bench/ of the vendored tree, should a crate version ship it;
#   3. tools/llama-bench/ of the llama-cpp-python sdist (version
#      $LLAMA_BENCH_SDIST_VERSION, default 0.3.36, whose llama.cpp is API-compatible with
#      llama-cpp-sys-2 0.1.161), fetched once with `pip download` and kept in the cache.
#
# Environment: CARGO_HOME, CHATREC_CACHE, LLAMA_BENCH_SRC, LLAMA_BENCH_SDIST_VERSION,
# PYTHON (for the pip fallback; default python3), JOBS (build jobs, default 2).
#
# Caveat: this build uses GGML_NATIVE=ON; the crate's build.rs turns GGML_NATIVE off unless
# RUSTFLAGS has target-cpu=native, so the in-process provider may be slower than this.

set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
model="${1:-$repo_root/data/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}"
output="${2:-}"
cache="${CHATREC_CACHE:-$HOME/.cache/chatrec}"
jobs="${JOBS:-2}"

log() { printf 'llama_bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ -f "$model" ]] || die "no model at $model (run \`chatrec models fetch smollm2\`)"

# The llama-cpp-sys-2 version our build resolves: the `version` line after its `name`.
version="$(awk '
    $0 == "name = \"llama-cpp-sys-2\"" { found = 1; next }
    found && /^version = / { gsub(/"/, "", $3); print $3; exit }
' "$repo_root/Cargo.lock")"
[[ -n "$version" ]] || die "llama-cpp-sys-2 is not in $repo_root/Cargo.lock"

shopt -s nullglob
sources=("${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"llama-cpp-sys-2-$version"/llama.cpp)
shopt -u nullglob
[[ ${#sources[@]} -gt 0 && -f "${sources[0]}/CMakeLists.txt" ]] \
    || die "no llama-cpp-sys-2-$version sources under ${CARGO_HOME:-$HOME/.cargo}/registry/src (run \`cargo fetch\`)"
llama_src="${sources[0]}"

out_dir="$cache/llama-bench-$version"
bench_bin="$out_dir/build/bin/llama-bench"

# Where llama-bench.cpp comes from (see the header).
find_bench_sources() {
    local dir
    if [[ -n "${LLAMA_BENCH_SRC:-}" ]]; then
        for dir in "$LLAMA_BENCH_SRC" "$LLAMA_BENCH_SRC/tools/llama-bench"; do
            [[ -f "$dir/llama-bench.cpp" ]] && { echo "$dir"; return; }
        done
        die "LLAMA_BENCH_SRC=$LLAMA_BENCH_SRC holds no llama-bench.cpp"
    fi
    for dir in "$llama_src/tools/llama-bench" "$out_dir/src/llama-bench"; do
        [[ -f "$dir/llama-bench.cpp" ]] && { echo "$dir"; return; }
    done
    local sdist_version="${LLAMA_BENCH_SDIST_VERSION:-0.3.36}"
    local python="${PYTHON:-python3}"
    local fetch="$out_dir/sdist"
    log "llama-cpp-sys-2-$version ships no llama-bench sources; fetching them from llama-cpp-python $sdist_version's sdist"
    mkdir -p "$fetch" "$out_dir/src/llama-bench"
    "$python" -m pip download --quiet --no-deps --no-binary :all: \
        "llama-cpp-python==$sdist_version" -d "$fetch" >&2 \
        || die "pip could not fetch llama-cpp-python $sdist_version; set LLAMA_BENCH_SRC to a llama.cpp checkout"
    local tarball
    tarball="$(ls "$fetch"/llama_cpp_python-*.tar.gz | head -n 1)"
    tar -xzf "$tarball" -C "$out_dir/src/llama-bench" --strip-components=5 \
        --wildcards '*/vendor/llama.cpp/tools/llama-bench/*'
    rm -rf "$fetch"
    [[ -f "$out_dir/src/llama-bench/llama-bench.cpp" ]] || die "the sdist has no llama-bench.cpp"
    echo "$out_dir/src/llama-bench"
}

# Passes -DNAME=VALUE only where the tree declares the option; says what it drops.
cmake_options=()
want_option() {
    local name="$1" value="$2"
    if grep -Eq "option\\(\\s*$name\\b" "$llama_src/CMakeLists.txt" "$llama_src/ggml/CMakeLists.txt"; then
        cmake_options+=("-D$name=$value")
    else
        log "note: this llama.cpp has no CMake option $name; not passing it"
    fi
}

build() {
    local bench_src
    bench_src="$(find_bench_sources)"
    log "building llama-bench from $llama_src with the tool from $bench_src"

    # A wrapper project: the vendored llama.cpp as a subproject, plus one executable.
    mkdir -p "$out_dir/wrapper"
    cat >"$out_dir/wrapper/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.14)
project(chatrec_llama_bench C CXX)
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
add_subdirectory(${CHATREC_LLAMA_SRC} llama.cpp)
find_package(Threads REQUIRED)
# llama-bench.cpp alone (older trees) or with main.cpp (newer ones).
file(GLOB bench_sources ${CHATREC_BENCH_SRC}/*.cpp)
add_executable(llama-bench ${bench_sources})
if (TARGET llama-common)
    target_link_libraries(llama-bench PRIVATE llama-common)
else()
    target_link_libraries(llama-bench PRIVATE common)
endif()
target_link_libraries(llama-bench PRIVATE llama Threads::Threads)
target_compile_features(llama-bench PRIVATE cxx_std_17)
EOF

    want_option GGML_NATIVE ON
    # LLAMA_CURL: newer trees deprecate it (ignored with a warning) and download over
    # cpp-httplib; LLAMA_OPENSSL is the switch for HTTPS there. llama-bench downloads nothing.
    want_option LLAMA_CURL OFF
    want_option LLAMA_OPENSSL OFF
    want_option LLAMA_BUILD_TESTS OFF
    want_option LLAMA_BUILD_EXAMPLES OFF
    want_option LLAMA_BUILD_SERVER OFF
    # The packaged tree lacks the tools' and the unified binary's directories.
    want_option LLAMA_BUILD_TOOLS OFF
    want_option LLAMA_BUILD_APP OFF
    want_option LLAMA_BUILD_COMMON ON

    local started=$SECONDS
    cmake -S "$out_dir/wrapper" -B "$out_dir/build" \
        -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_SHARED_LIBS=OFF \
        -DCHATREC_LLAMA_SRC="$llama_src" \
        -DCHATREC_BENCH_SRC="$bench_src" \
        "${cmake_options[@]}" >&2
    cmake --build "$out_dir/build" --config Release --target llama-bench -j "$jobs" >&2
    [[ -x "$bench_bin" ]] || die "the build produced no $bench_bin"
    log "built $bench_bin in $((SECONDS - started)) s"
}

if [[ -x "$bench_bin" ]]; then
    log "using $bench_bin (built before)"
else
    build
fi

log "benchmarking $model"
if [[ -n "$output" ]]; then
    "$bench_bin" -m "$model" -p 512 -n 128 -t 2 -r 5 -o json >"$output"
    log "wrote $output"
else
    "$bench_bin" -m "$model" -p 512 -n 128 -t 2 -r 5 -o json
fi
