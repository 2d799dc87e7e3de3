// swift-tools-version:6.0
import PackageDescription

// Switchboard: four services and their tools, built on Foundation, Dispatch, Glibc and two Debian
// C libraries only (see ../shared/DESIGN.md, "Dependencies"). Every target compiles in Swift 6
// language mode with warnings as errors, so the CI build and a developer's build are the same.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6), .unsafeFlags(["-warnings-as-errors"]),
    .enableUpcomingFeature("ExistentialAny"), .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchboard-bench", targets: ["SwitchboardBench"]),
        .executable(name: "switchboard-directory", targets: ["switchboard-directory"]),
        .executable(name: "switchboard-notifier", targets: ["switchboard-notifier"]),
        .executable(name: "switchboard-adapters", targets: ["switchboard-adapters"]),
        .executable(name: "switchboard-router", targets: ["switchboard-router"]),
        .executable(name: "switchboard-console", targets: ["switchboard-console"]),
        .executable(name: "switchboardctl", targets: ["switchboardctl"]),
        .executable(name: "switchboard-loadgen", targets: ["switchboard-loadgen"]),
    ],
    targets: [
        // System libraries.
        .systemLibrary(
            name: "CSQLite", path: "Shared/CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CCrypto", path: "Shared/CCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),

        .systemLibrary(name: "CLinux", path: "Shared/CLinux"),

        // Shared modules, one purpose each.
        .target(name: "SwitchboardPOSIX", dependencies: ["CLinux"], path: "Shared/POSIX", swiftSettings: strict),
        .target(name: "SwitchboardCrypto", dependencies: ["CCrypto"], path: "Shared/Crypto", swiftSettings: strict),
        .target(name: "SwitchboardCodec", path: "Shared/Codec", swiftSettings: strict),
        .target(
            name: "SwitchboardRuntime", dependencies: ["SwitchboardPOSIX", "SwitchboardCodec"],
            path: "Shared/Runtime", swiftSettings: strict),
        .target(
            name: "SwitchboardNet",
            dependencies: ["CLinux", "SwitchboardPOSIX", "SwitchboardCodec", "SwitchboardRuntime", "SwitchboardCrypto"],
            path: "Shared/Net", swiftSettings: strict),
        .target(name: "SwitchboardDomain", dependencies: ["SwitchboardCodec"], path: "Shared/Domain", swiftSettings: strict),
        .target(name: "SwitchboardStore", dependencies: ["CSQLite", "SwitchboardPOSIX"], path: "Shared/Store", swiftSettings: strict),
        .target(
            name: "SwitchboardOperations", dependencies: ["SwitchboardCodec", "SwitchboardDomain", "SwitchboardNet"],
            path: "Shared/Operations", swiftSettings: strict),
        .target(
            name: "SwitchboardHTTP", dependencies: ["SwitchboardPOSIX", "SwitchboardNet", "SwitchboardRuntime"],
            path: "Shared/HTTP", swiftSettings: strict),

        // Services: a library with the logic, a thin executable.
        .target(
            name: "SwitchboardDirectory",
            dependencies: ["SwitchboardCodec", "SwitchboardDomain", "SwitchboardHTTP", "SwitchboardNet", "SwitchboardRuntime", "SwitchboardStore"],
            path: "Services/Directory/Library", swiftSettings: strict),
        .executableTarget(
            name: "switchboard-directory", dependencies: ["SwitchboardDirectory"],
            path: "Services/Directory/Executable", swiftSettings: strict),

        .target(
            name: "SwitchboardNotifier",
            dependencies: ["SwitchboardCodec", "SwitchboardCrypto", "SwitchboardDomain", "SwitchboardHTTP", "SwitchboardNet", "SwitchboardRuntime", "SwitchboardStore"],
            path: "Services/Notifier/Library", swiftSettings: strict),
        .executableTarget(
            name: "switchboard-notifier", dependencies: ["SwitchboardNotifier"],
            path: "Services/Notifier/Executable", swiftSettings: strict),

        .target(
            name: "SwitchboardAdapters",
            dependencies: ["SwitchboardCodec", "SwitchboardCrypto", "SwitchboardDomain", "SwitchboardHTTP", "SwitchboardNet", "SwitchboardRuntime", "SwitchboardStore"],
            path: "Services/Adapters/Library", swiftSettings: strict),
        .executableTarget(
            name: "switchboard-adapters", dependencies: ["SwitchboardAdapters"],
            path: "Services/Adapters/Executable", swiftSettings: strict),

        .target(
            name: "SwitchboardRouter",
            dependencies: ["SwitchboardCodec", "SwitchboardDomain", "SwitchboardHTTP", "SwitchboardNet", "SwitchboardRuntime", "SwitchboardStore"],
            path: "Services/Router/Library", swiftSettings: strict),
        .executableTarget(
            name: "switchboard-router", dependencies: ["SwitchboardRouter"],
            path: "Services/Router/Executable", swiftSettings: strict),

        .target(
            name: "SwitchboardConsole",
            dependencies: ["SwitchboardCodec", "SwitchboardCrypto", "SwitchboardDomain", "SwitchboardHTTP", "SwitchboardNet", "SwitchboardOperations",
                           "SwitchboardRuntime", "SwitchboardStore"],
            path: "Services/Console/Library", swiftSettings: strict),
        .executableTarget(
            name: "switchboard-console", dependencies: ["SwitchboardConsole"],
            path: "Services/Console/Executable", swiftSettings: strict),

        // Tools.
        .target(
            name: "SwitchboardCtl",
            dependencies: ["SwitchboardCodec", "SwitchboardCrypto", "SwitchboardDomain", "SwitchboardHTTP",
                           "SwitchboardNet", "SwitchboardOperations", "SwitchboardPOSIX", "SwitchboardRuntime", "SwitchboardStore"],
            path: "Services/Ctl/Library", swiftSettings: strict),
        .executableTarget(name: "switchboardctl", dependencies: ["SwitchboardCtl"], path: "Services/Ctl/Executable", swiftSettings: strict),
        .executableTarget(name: "switchboard-loadgen", dependencies: ["SwitchboardCtl"], path: "Services/LoadGen", swiftSettings: strict),
        .executableTarget(
            name: "SwitchboardBench",
            dependencies: ["SwitchboardCodec", "SwitchboardNet", "SwitchboardStore", "SwitchboardRuntime", "SwitchboardDirectory", "SwitchboardDomain",
                           "SwitchboardNotifier", "SwitchboardHTTP", "SwitchboardAdapters", "SwitchboardPOSIX", "SwitchboardRouter",
                           "SwitchboardCtl"],
            path: "Services/Bench", swiftSettings: strict),
        .executableTarget(
            name: "SwitchboardTestKit",
            dependencies: ["SwitchboardCodec", "SwitchboardNet", "SwitchboardStore", "SwitchboardRuntime", "SwitchboardHTTP"],
            path: "Tests/TestKit", swiftSettings: strict),

        // Tests.
        .target(
            name: "SwitchboardTestSupport",
            dependencies: ["SwitchboardPOSIX", "SwitchboardCodec", "SwitchboardCrypto", "SwitchboardNet", "SwitchboardHTTP", "SwitchboardRuntime"],
            path: "Tests/Support", swiftSettings: strict),
        .testTarget(name: "SwitchboardCodecTests", dependencies: ["SwitchboardCodec", "SwitchboardTestSupport"], path: "Tests/CodecTests", swiftSettings: strict),
        .testTarget(
            name: "SwitchboardDirectoryTests",
            dependencies: ["SwitchboardDirectory", "SwitchboardDomain", "SwitchboardNet", "SwitchboardTestSupport", "switchboard-directory"],
            path: "Tests/DirectoryTests", swiftSettings: strict),
        .testTarget(
            name: "SwitchboardNotifierTests",
            dependencies: ["SwitchboardNotifier", "SwitchboardDomain", "SwitchboardNet", "SwitchboardRuntime", "SwitchboardCrypto", "SwitchboardStore", "SwitchboardTestSupport", "switchboard-notifier"],
            path: "Tests/NotifierTests", swiftSettings: strict),
        .testTarget(
            name: "SwitchboardAdaptersTests",
            dependencies: ["SwitchboardAdapters", "SwitchboardDomain", "SwitchboardHTTP", "SwitchboardNet", "SwitchboardCrypto", "SwitchboardTestSupport", "switchboard-adapters"],
            path: "Tests/AdaptersTests", swiftSettings: strict),
        .testTarget(
            name: "SwitchboardRouterTests",
            dependencies: ["SwitchboardRouter", "SwitchboardStore", "SwitchboardDomain", "SwitchboardCodec", "SwitchboardNet", "SwitchboardRuntime", "SwitchboardTestSupport",
                           "switchboard-router", "switchboard-directory"],
            path: "Tests/RouterTests", swiftSettings: strict),
        .testTarget(
            name: "SwitchboardE2ETests",
            dependencies: ["SwitchboardTestSupport", "SwitchboardAdapters", "SwitchboardCodec", "SwitchboardCrypto", "SwitchboardCtl", "SwitchboardDomain", "SwitchboardHTTP", "SwitchboardNet",
                           "SwitchboardOperations", "SwitchboardRuntime", "switchboardctl", "switchboard-adapters", "switchboard-router", "switchboard-directory", "switchboard-notifier"],
            path: "Tests/e2e", swiftSettings: strict),
        .testTarget(
            name: "SwitchboardDeployTests",
            dependencies: ["SwitchboardTestSupport", "SwitchboardCodec", "SwitchboardCrypto", "SwitchboardNet", "SwitchboardPOSIX",
                           "switchboard-adapters", "switchboard-router", "switchboard-directory", "switchboard-notifier", "switchboard-console"],
            path: "Tests/DeployTests", swiftSettings: strict),
        .testTarget(
            name: "SwitchboardCtlTests",
            dependencies: ["SwitchboardCtl", "SwitchboardCodec", "SwitchboardDomain", "SwitchboardTestSupport", "switchboardctl", "switchboard-loadgen", "switchboard-adapters", "switchboard-router",
                           "switchboard-directory", "switchboard-notifier"],
            path: "Tests/CtlTests", swiftSettings: strict),
        .testTarget(name: "SwitchboardDomainTests", dependencies: ["SwitchboardDomain", "SwitchboardCodec", "SwitchboardTestSupport"], path: "Tests/DomainTests", swiftSettings: strict),
        .testTarget(
            name: "SwitchboardConsoleTests",
            dependencies: ["SwitchboardConsole", "SwitchboardCtl", "SwitchboardCodec", "SwitchboardCrypto", "SwitchboardDomain", "SwitchboardHTTP",
                           "SwitchboardNet", "SwitchboardOperations", "SwitchboardPOSIX", "SwitchboardRuntime", "SwitchboardTestSupport", "switchboard-console", "switchboard-adapters",
                           "switchboard-router", "switchboard-directory", "switchboard-notifier"],
            path: "Tests/ConsoleTests", swiftSettings: strict),
        .testTarget(
            name: "SwitchboardOperationsTests", dependencies: ["SwitchboardOperations", "SwitchboardDomain", "SwitchboardCodec"],
            path: "Tests/OperationsTests", swiftSettings: strict),
        .testTarget(name: "SwitchboardCryptoTests", dependencies: ["SwitchboardCrypto"], path: "Tests/CryptoTests", swiftSettings: strict),
        .testTarget(
            name: "SwitchboardNetTests",
            dependencies: ["SwitchboardNet", "SwitchboardTestSupport", "SwitchboardTestKit"],
            path: "Tests/NetTests", swiftSettings: strict),
        .testTarget(
            name: "SwitchboardStoreTests",
            dependencies: ["SwitchboardStore", "SwitchboardTestSupport", "SwitchboardTestKit"],
            path: "Tests/StoreTests", swiftSettings: strict),
        .testTarget(
            name: "SwitchboardHTTPTests",
            dependencies: ["SwitchboardHTTP", "SwitchboardTestSupport"],
            path: "Tests/HTTPTests", swiftSettings: strict),
        .testTarget(
            name: "SwitchboardRuntimeTests",
            dependencies: ["SwitchboardRuntime", "SwitchboardTestSupport"],
            path: "Tests/RuntimeTests", swiftSettings: strict),
    ]
)
