// swift-tools-version:6.1
import PackageDescription

/// OpenMP comes from Debian's libomp-dev (LLVM 14); Swift's own clang compiles it with these flags.
let openMPCFlags = ["-fopenmp", "-I/usr/lib/llvm-14/lib/clang/14.0.6/include", "-O3", "-march=x86-64-v3", "-ffp-contract=off", "-fno-math-errno"]
let openMPLinkFlags = ["-L/usr/lib/llvm-14/lib", "-Xlinker", "-rpath", "-Xlinker", "/usr/lib/llvm-14/lib"]

let package = Package(
    name: "Phenaki",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "phenaki", targets: ["phenaki"]),
        .library(name: "Phenaki", targets: ["Phenaki"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "CKernels",
            path: "Sources/CKernels",
            cSettings: [.unsafeFlags(openMPCFlags)],
            // OpenBLAS is loaded with dlopen by pk_blas_init (see pk_plan.h), after its kernel
            // choice is fixed for this CPU, so it is not linked here.
            linkerSettings: [
                .linkedLibrary("dl"),
                .linkedLibrary("omp"),
                .linkedLibrary("m"),
                .unsafeFlags(openMPLinkFlags),
            ]
        ),
        .target(name: "TensorGraph", path: "Sources/TensorGraph"),
        .target(name: "GraphCompiler", dependencies: ["TensorGraph", "GraphRuntime"], path: "Sources/GraphCompiler"),
        // Open MPI (Debian's libopenmpi-dev / openmpi-bin) loaded with dlopen at run time, so the
        // binary builds and runs single-process without it; mpirun launches data-parallel training.
        .target(name: "CMPISupport", path: "Sources/CMPISupport",
                linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),
        .target(name: "GraphRuntime", dependencies: ["TensorGraph", "CKernels", "CMPISupport"], path: "Sources/GraphRuntime"),
        // System zlib (zlib1g-dev) and libjpeg-turbo (libjpeg62-turbo-dev) behind a C shim whose
        // error handler returns instead of calling exit(), so damaged files become Swift errors.
        .target(
            name: "CMediaSupport",
            path: "Sources/CMediaSupport",
            linkerSettings: [.linkedLibrary("z"), .linkedLibrary("jpeg")]
        ),
        .target(name: "MediaIO", dependencies: ["CMediaSupport"], path: "Sources/MediaIO"),
        .target(name: "PhenakiGraphs", dependencies: ["TensorGraph"], path: "Graphs"),
        .target(
            name: "Phenaki",
            dependencies: ["PhenakiGraphs", "GraphCompiler", "GraphRuntime", "TensorGraph", "MediaIO"],
            path: "Sources/Phenaki"
        ),
        .executableTarget(
            name: "phenaki",
            dependencies: [
                "Phenaki", "PhenakiGraphs", "GraphCompiler", "GraphRuntime", "TensorGraph",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tools/phenaki"
        ),
        // The seeded mutation fuzzer the decoder, reader and tokenizer fuzz tests share.
        .target(name: "FuzzSupport", path: "Tests/FuzzSupport"),
        .testTarget(name: "TensorGraphTests", dependencies: ["TensorGraph"]),
        .testTarget(name: "GraphCompilerTests", dependencies: ["GraphCompiler", "GraphRuntime", "TensorGraph"]),
        .testTarget(name: "GraphRuntimeTests",
                    dependencies: ["GraphRuntime", "GraphCompiler", "TensorGraph", "CKernels", "FuzzSupport"]),
        .testTarget(name: "MediaIOTests", dependencies: ["MediaIO", "FuzzSupport"]),
        .testTarget(
            name: "PhenakiTests",
            dependencies: ["Phenaki", "PhenakiGraphs", "GraphCompiler", "GraphRuntime", "TensorGraph", "MediaIO",
                           "FuzzSupport"]
        ),
    ]
)
