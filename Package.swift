// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Ringlet",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ringlet", targets: ["ringlet"]),
        .library(name: "RingletCore", targets: ["RingletCore"]),
        .library(name: "RingletSTUN", targets: ["RingletSTUN"]),
        .library(name: "RingletTURN", targets: ["RingletTURN"]),
        .library(name: "RingletRTP", targets: ["RingletRTP"]),
        .library(name: "RingletSRTP", targets: ["RingletSRTP"]),
        .library(name: "RingletSDP", targets: ["RingletSDP"]),
        .library(name: "RingletICE", targets: ["RingletICE"]),
        .library(name: "RingletDTLS", targets: ["RingletDTLS"]),
        .library(name: "RingletEngine", targets: ["RingletEngine"]),
        .library(name: "RingletNIO", targets: ["RingletNIO"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // OpenSSL 3 from the system (Debian libssl-dev); see Sources/COpenSSL/shim.h.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "RingletCore", swiftSettings: strict),
        .target(name: "RingletSTUN", dependencies: ["RingletCore", "COpenSSL"], swiftSettings: strict),
        .target(name: "RingletTURN", dependencies: ["RingletCore", "RingletSTUN"], swiftSettings: strict),
        .target(name: "RingletRTP", dependencies: ["RingletCore"], swiftSettings: strict),
        .target(name: "RingletSRTP", dependencies: ["RingletCore", "COpenSSL"], swiftSettings: strict),
        .target(name: "RingletSDP", dependencies: ["RingletCore"], swiftSettings: strict),
        .target(name: "RingletICE", dependencies: ["RingletCore", "RingletSTUN", "RingletTURN", "RingletSDP"], swiftSettings: strict),
        .target(name: "RingletDTLS", dependencies: ["RingletCore", "COpenSSL"], swiftSettings: strict),
        .target(
            name: "RingletEngine",
            dependencies: ["RingletCore", "RingletSTUN", "RingletTURN", "RingletICE", "RingletDTLS", "RingletSRTP",
                           "RingletRTP", "RingletSDP"],
            swiftSettings: strict
        ),
        .target(
            name: "RingletNIO",
            dependencies: [
                "RingletCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // Helpers for tests that drive real peers (ffmpeg, openssl, coturn, Chromium): loopback sockets, child
        // processes with bounded waits. Not a product: only test targets use it.
        .target(name: "RingletTestSupport", dependencies: ["RingletCore"], swiftSettings: strict),
        // A `PeerConnection` driven as a `DatagramDriven` machine that records its events (engine test targets).
        .target(name: "RingletEngineTestSupport", dependencies: ["RingletCore", "RingletEngine", "RingletDTLS"], swiftSettings: strict),
        // A seeded simulated network (delay, jitter, loss, reordering, NATs) for deterministic scenario tests.
        .target(name: "RingletSimulation", dependencies: ["RingletCore"], swiftSettings: strict),
        .executableTarget(
            name: "ringlet",
            dependencies: [
                "RingletCore", "RingletSTUN", "RingletTURN", "RingletRTP", "RingletSRTP", "RingletSDP",
                "RingletDTLS", "RingletEngine", "RingletNIO", "COpenSSL",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "RingletCoreTests", dependencies: ["RingletCore"], swiftSettings: strict),
        .testTarget(name: "RingletSTUNTests", dependencies: ["RingletSTUN"], resources: [.copy("Vectors")], swiftSettings: strict),
        .testTarget(
            name: "RingletTURNTests", dependencies: ["RingletTURN", "RingletTestSupport"], exclude: ["PROVENANCE.md"],
            swiftSettings: strict
        ),
        .testTarget(name: "RingletICETests", dependencies: ["RingletICE", "RingletSimulation"], swiftSettings: strict),
        .testTarget(name: "RingletDTLSTests", dependencies: ["RingletDTLS", "RingletTestSupport"], swiftSettings: strict),
        .testTarget(name: "RingletSimulationTests", dependencies: ["RingletSimulation"], swiftSettings: strict),
        .testTarget(
            name: "RingletEngineTests",
            dependencies: ["RingletEngine", "RingletSimulation", "RingletTURN", "RingletEngineTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(name: "RingletNIOTests", dependencies: ["RingletNIO"], swiftSettings: strict),
        // A real browser: headless Chromium in a private network namespace against the Swift engine.
        .testTarget(
            name: "ChromiumInteropTests",
            dependencies: ["RingletEngine", "RingletNIO", "RingletDTLS", "RingletEngineTestSupport"],
            resources: [.copy("Pages")],
            swiftSettings: strict
        ),
        // The engine behind real Linux NATs (nftables masquerade in network namespaces), with coturn.
        .testTarget(
            name: "RealNATTests",
            dependencies: [
                "RingletEngine", "RingletNIO", "RingletDTLS", "RingletTURN", "RingletTestSupport", "RingletEngineTestSupport",
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "RingletRTPTests", dependencies: ["RingletRTP"], resources: [.copy("Vectors")], swiftSettings: strict),
        .testTarget(name: "RingletSRTPTests", dependencies: ["RingletSRTP", "RingletRTP"], resources: [.copy("Vectors")], swiftSettings: strict),
        .testTarget(name: "RingletSDPTests", dependencies: ["RingletSDP"], resources: [.copy("Vectors")], swiftSettings: strict),
        // Interop with ffmpeg, a peer nobody here wrote: RTP and SRTP over loopback UDP sockets.
        .testTarget(
            name: "FFmpegInteropTests",
            dependencies: ["RingletCore", "RingletRTP", "RingletSRTP", "RingletTestSupport"],
            resources: [.copy("Media")],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
