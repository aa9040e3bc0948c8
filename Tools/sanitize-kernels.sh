#!/usr/bin/env bash
# The C kernels (Sources/CKernels) under AddressSanitizer and UndefinedBehaviorSanitizer: builds
# the kernels, the runtime and the compiler with their test targets (GraphRuntimeTests: every
# step kind against the reference interpreter, the forward and Adam suites, arena debug mode;
# GraphCompilerTests: random graphs compiled and run against the interpreter) with
# -fsanitize=address,undefined, runs them, and exits non-zero on any sanitizer report or test
# failure.
#
# Only those targets are built: a generated package in the scratch folder links this
# repository's Sources and Tests and takes Package.swift as it is, keeping the targets below.
# Swift code is built with ASan too (swiftc has no UBSan on Linux); UBSan instruments the C.
#
#   Tools/sanitize-kernels.sh                 # scratch folder .build-sanitize
#   SANITIZE_SCRATCH=/tmp/san Tools/sanitize-kernels.sh
#   SANITIZE_FILTER=KernelGemmTests Tools/sanitize-kernels.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=${SANITIZE_SCRATCH:-$root/.build-sanitize}
filter=${SANITIZE_FILTER:-GraphRuntimeTests|PlanDifferentialTests|FuzzPlanTests|RematerializationTests|InPlaceReuseTests|PlanExecutorFeedTests|SimplifyPipelineTests}
package=$scratch/package
mkdir -p "$package"
ln -sfn "$root/Sources" "$package/Sources"
ln -sfn "$root/Tests" "$package/Tests"
manifest=$(cat "$root/Package.swift"; cat <<'EOF'

// Tools/sanitize-kernels.sh: the kernels, the runtime and the compiler with their tests only.
let sanitizedTargets: Set<String> = ["CKernels", "CMPISupport", "TensorGraph", "GraphRuntime", "GraphCompiler",
                                     "FuzzSupport", "GraphRuntimeTests", "GraphCompilerTests"]
package.targets = package.targets.filter { sanitizedTargets.contains($0.name) }
package.products = []
package.dependencies = []
EOF
)
# Rewritten only when it changes, so an unchanged tree rebuilds nothing.
if [[ ! -f $package/Package.swift || "$(cat "$package/Package.swift")" != "$manifest" ]]; then
    printf '%s\n' "$manifest" > "$package/Package.swift"
fi

# -fno-sanitize-recover: the first undefined behaviour aborts the run (a non-zero exit).
# -Wno-pass-failed: instrumentation stops some `omp simd` loops vectorising; not a finding.
flags=(--package-path "$package" --scratch-path "$scratch/build" --sanitize=address
       -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined -Xcc -Wno-pass-failed)
start=$(date +%s)
swift build "${flags[@]}" --build-tests
built=$(date +%s)

# ASAN_OPTIONS: libomp (Debian's LLVM 14 build) and OpenBLAS (dlopen'ed by the kernels) are not
# instrumented, which ASan handles without help: their mallocs and threads go through its
# interceptors. detect_leaks=0: the kernels allocate nothing (bench.c aside; the arenas are
# Swift's), and LeakSanitizer's reports here are all Swift-side false positives (Data held in
# static lets through spare-bit-packed enums) or Foundation's own (a 4 KiB buffer of
# FileManager.contents on an empty file), plus XCTest's runner at exit (skipped below: the
# suites are swift-testing). detect_stack_use_after_return adds a check the defaults leave out
# (a kernel keeping a pointer into a finished call's stack).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
log=$scratch/test.log
status=0
swift test "${flags[@]}" --skip-build --disable-xctest --filter "$filter" 2>&1 | tee "$log" || status=$?
end=$(date +%s)
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|UndefinedBehavior|Leak)Sanitizer' "$log"; then
    echo "sanitize-kernels: sanitizer reports above (full log: $log)" >&2
    if [[ $status == 0 ]]; then status=1; fi
fi
echo "sanitize-kernels: build $((built - start)) s, tests $((end - built)) s, exit status $status" >&2
exit "$status"
