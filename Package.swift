// swift-tools-version:6.0
import PackageDescription

// Modules, one job each; dependencies point down the list:
//   berth (CLI) → Control → Deploy → Supervisor → Confinement → CSpawn
//   → StateStore → Budget → StackFile
let package = Package(
    name: "berth",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "berth", targets: ["berth"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
    ],
    targets: [
        // The CLI: parses arguments and wires the modules together; no logic of its own.
        .executableTarget(
            name: "berth",
            dependencies: [
                "StackFile", "Budget", "Confinement", "Supervisor", "Deploy", "Control", "CLinux",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The supervisor's Unix-socket API (HTTP/1.1 + JSON, SwiftNIO) and its client.
        .target(name: "Control", dependencies: [
            "Deploy", "Supervisor", "Budget", "StateStore", "StackFile",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // Blue-green deploys: the deploy's state machine, the proxy adapters (nginx), spec history.
        .target(name: "Deploy", dependencies: ["Supervisor", "Confinement", "Budget", "StateStore", "StackFile"]),
        // Service state machines, restarts, dependencies, logs, PID 1: the supervision loop.
        .target(name: "Supervisor", dependencies: ["Budget", "Confinement", "CSpawn", "CLinux", "StateStore", "StackFile"]),
        // cgroup v2 tree, seccomp profiles and filters, capabilities, users: decided in the parent.
        .target(name: "Confinement", dependencies: ["Budget", "StackFile", "CLinux", "CSeccomp"]),
        // libseccomp 2.5 (Debian: libseccomp-dev), parent side only: compiles profiles to BPF.
        .systemLibrary(name: "CSeccomp"),
        // The only code that runs between fork and exec.
        .target(name: "CSpawn"),
        // Linux interfaces Swift's Glibc module cannot import (_GNU_SOURCE headers, macros).
        .target(name: "CLinux"),
        // The history (sessions, runs, events) in SQLite through GRDB; writes never block.
        .target(name: "StateStore", dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),
        // Budget arithmetic and report rendering. Pure: no I/O.
        .target(name: "Budget", dependencies: ["StackFile"]),
        // Parse, interpolate, merge, validate and normalize stack files. Pure but for reading files.
        .target(name: "StackFile", dependencies: [.product(name: "Yams", package: "Yams")]),

        .executableTarget(name: "berth-bench-spawn", dependencies: ["Supervisor", "Confinement", "StackFile"], path: "Benchmarks/SpawnBench"),

        .testTarget(name: "StackFileTests", dependencies: ["StackFile"], exclude: ["Malformed", "Golden"]),
        .testTarget(name: "BudgetTests", dependencies: ["Budget", "StackFile"]),
        .testTarget(name: "ConfinementTests", dependencies: ["Confinement", "CSeccompTestSupport", "CLibcap"]),
        // Tests only: forks a child that applies a BPF program and makes one system call.
        .target(name: "CSeccompTestSupport"),
        // Tests only: libcap (Debian: libcap-dev), to check berth's capability table against it.
        .systemLibrary(name: "CLibcap"),
        .testTarget(name: "StateStoreTests", dependencies: ["StateStore"]),
        .testTarget(name: "SupervisorTests", dependencies: ["Supervisor", "StateStore", "StackFile", "Confinement"]),
        .testTarget(name: "CLITests", dependencies: ["berth"], exclude: ["Golden"]),
        .testTarget(name: "UpTests", dependencies: ["berth", "StateStore"]),
        .testTarget(name: "DeployTests", dependencies: ["Deploy", "Supervisor", "StackFile", "StateStore", "Budget"]),
    ]
)
