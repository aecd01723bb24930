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
        .executable(name: "ringlet-device", targets: ["ringlet-device"]),
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
        .library(name: "RingletSignaling", targets: ["RingletSignaling"]),
        .library(name: "RingletStore", targets: ["RingletStore"]),
        .library(name: "RingletServer", targets: ["RingletServer"]),
        .library(name: "RingletWebPush", targets: ["RingletWebPush"]),
        .library(name: "RingletDevice", targets: ["RingletDevice"]),
        .library(name: "RingletMediaStreams", targets: ["RingletMediaStreams"]),
        // The device SDK's C API (include/ringlet_device.h): libringlet_device.so and, as ringlet_device_static,
        // the static archive (scripts/build-c-library.sh installs both as libringlet_device.{so,a}).
        .library(name: "ringlet_device", type: .dynamic, targets: ["RingletDeviceC"]),
        .library(name: "ringlet_device_static", type: .static, targets: ["RingletDeviceC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // OpenSSL 3 from the system (Debian libssl-dev); see Sources/COpenSSL/shim.h.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // epoll, eventfd and recvmmsg/sendmmsg for RingletNIO's TURN data path (Glibc's module hides them).
        .target(name: "CRingletSockets"),
        // gettimeofday() that returns the caller's Instant inside RingletDTLS's OpenSSL calls (docs/dtls.md, "Time").
        .target(name: "CRingletClock"),
        .target(name: "RingletCore", swiftSettings: strict),
        .target(name: "RingletSTUN", dependencies: ["RingletCore", "COpenSSL"], swiftSettings: strict),
        .target(name: "RingletTURN", dependencies: ["RingletCore", "RingletSTUN"], swiftSettings: strict),
        .target(name: "RingletRTP", dependencies: ["RingletCore"], swiftSettings: strict),
        .target(name: "RingletSRTP", dependencies: ["RingletCore", "COpenSSL"], swiftSettings: strict),
        .target(name: "RingletSDP", dependencies: ["RingletCore"], swiftSettings: strict),
        .target(name: "RingletICE", dependencies: ["RingletCore", "RingletSTUN", "RingletSDP"], swiftSettings: strict),
        .target(name: "RingletDTLS", dependencies: ["RingletCore", "COpenSSL", "CRingletClock"], swiftSettings: strict),
        .target(
            name: "RingletEngine",
            dependencies: ["RingletCore", "RingletTURN", "RingletICE", "RingletDTLS", "RingletSRTP",
                           "RingletRTP", "RingletSDP"],
            swiftSettings: strict
        ),
        .target(
            name: "RingletNIO",
            dependencies: [
                "RingletCore", "RingletTURN", "CRingletSockets",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // Signaling messages (JSON over WebSocket), the call router state machine, device-key signatures.
        .target(name: "RingletSignaling", dependencies: ["RingletCore", "COpenSSL"], swiftSettings: strict),
        // The client side of a call, shared by the device SDK and `ringlet phone`: the signaling session over
        // WebSocket (reconnection), the media session on NIO sockets, ICE servers, a small HTTP client.
        .target(
            name: "RingletCall",
            dependencies: [
                "RingletCore", "RingletEngine", "RingletNIO", "RingletSignaling", "RingletDTLS",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // The device SDK: the native API (RingletDevice) and the seed-compatible facade (VideoNativeInterface).
        .target(
            name: "RingletDevice",
            dependencies: [
                "RingletCall", "RingletCore", "RingletDTLS", "RingletEngine", "RingletNIO", "RingletRTP", "RingletSDP",
                "RingletSignaling", "RingletMediaStreams",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // The C API's header (include/ringlet_device.h, linked into the target) and its Swift implementation.
        .target(name: "CRingletDeviceAPI"),
        .target(
            name: "RingletDeviceC",
            dependencies: ["CRingletDeviceAPI", "RingletDevice", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            swiftSettings: strict
        ),
        // A headless callee on the engine, speaking the web app's signaling (`ringlet phone`, the device tests).
        .target(
            name: "RingletPhone",
            dependencies: [
                "RingletCall", "RingletCore", "RingletDTLS", "RingletEngine", "RingletNIO", "RingletSampleMedia", "RingletSDP",
                "RingletSignaling",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // Readers of the encoded media a device sends (sans-IO): Ogg Opus, Annex B H.264/H.265 byte streams, raw
        // G.711 — from an encoder, a file, a FIFO or a pipe.
        .target(name: "RingletMediaStreams", dependencies: ["RingletCore", "RingletRTP", "RingletSDP"], swiftSettings: strict),
        // The sample media of `ringlet device`, `ringlet phone` and `ringlet demo`: a 640×480 H.264 clip, a G.711
        // tone and an Opus tone, with their pacing.
        .target(name: "RingletSampleMedia", dependencies: ["RingletCore", "RingletRTP", "RingletMediaStreams", "CRingletSampleClip",
                                                          .product(name: "NIOCore", package: "swift-nio"),
                                                          .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
                swiftSettings: strict),
        // The sample clip's bytes, built into the program with `.incbin` (CRingletSampleClip/PROVENANCE.md).
        .target(name: "CRingletSampleClip", exclude: ["PROVENANCE.md"]),
        // Web Push as an application server speaks it: RFC 8291 aes128gcm encryption, RFC 8292 VAPID (ES256 JWT),
        // subscription and endpoint checks, the delivery decision table (sans-IO; swift-crypto).
        .target(
            name: "RingletWebPush",
            dependencies: ["RingletCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // The cloud's store: one async protocol, two implementations: SQLite through GRDB (the default) and
        // PostgreSQL through postgres-nio (several nodes on one database).
        .target(
            name: "RingletStore",
            dependencies: [
                "RingletCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The cloud service `ringlet serve`: HTTP API, WebSocket signaling, TURN, metrics, one service group.
        .target(
            name: "RingletServer",
            dependencies: [
                "RingletCore", "RingletTURN", "RingletNIO", "RingletSignaling", "RingletStore", "COpenSSL",
                "RingletWebPush",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: strict
        ),
        // Helpers for tests that drive real peers (ffmpeg, openssl, coturn, Chromium): loopback sockets, child
        // processes with bounded waits. Not a product: only test targets use it.
        .target(name: "RingletTestSupport", dependencies: ["RingletCore"], swiftSettings: strict),
        // A `PeerConnection` driven as a `DatagramDriven` machine that records its events (engine test targets).
        .target(name: "RingletEngineTestSupport", dependencies: ["RingletCore", "RingletEngine", "RingletDTLS"], swiftSettings: strict),
        // Headless Chromium in a private network namespace against the Swift engine: the namespace, the signaling
        // server, the page and the engine side. Not a product: ChromiumInteropTests and `ringlet bench setup` use it.
        .target(
            name: "RingletBrowserHarness",
            dependencies: [
                "RingletCore", "RingletEngine", "RingletNIO", "RingletDTLS", "RingletRTP", "RingletTURN",
                "RingletEngineTestSupport", "RingletSampleMedia",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            resources: [.copy("Pages")],
            swiftSettings: strict
        ),
        // The end-to-end tests' support: a Chrome DevTools Protocol client (HummingbirdWSClient on namespace loops),
        // headless Chromium, `ringlet serve --dev` and `ringlet device` processes in a private network namespace.
        // Not a product: WebAppTests uses it.
        .target(
            name: "RingletWebTestSupport",
            dependencies: [
                "RingletNIO", "RingletTestSupport", "RingletBrowserHarness", "RingletPhone",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // Debian servers started by tests and benchmarks: a throwaway PostgreSQL, nginx in front of several
        // `ringlet serve` nodes. Not a product: the store and cluster tests and `ringlet bench signaling` use it.
        .target(name: "RingletLab", dependencies: ["RingletNIO", "RingletStore"], swiftSettings: strict),
        // A seeded simulated network (delay, jitter, loss, reordering, NATs) for deterministic scenario tests.
        .target(name: "RingletSimulation", dependencies: ["RingletCore"], swiftSettings: strict),
        // `ringlet device`: a simulated device on the facade (also the lean `ringlet-device` program).
        .target(
            name: "RingletDeviceTool",
            dependencies: [
                "RingletDevice", "RingletSampleMedia", "RingletMediaStreams", "RingletRTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "ringlet-device", dependencies: ["RingletDeviceTool"], swiftSettings: strict),
        .executableTarget(
            name: "ringlet",
            dependencies: [
                "RingletCore", "RingletSTUN", "RingletTURN", "RingletRTP", "RingletSRTP",
                "RingletDTLS", "RingletEngine", "RingletNIO", "RingletSignaling", "RingletStore", "RingletServer", "COpenSSL",
                "RingletBrowserHarness", "RingletCall", "RingletDevice", "RingletDeviceTool", "RingletPhone",
                "RingletSampleMedia", "RingletWebPush", "RingletLab",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
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
        .testTarget(name: "RingletICETests", dependencies: ["RingletICE"], swiftSettings: strict),
        .testTarget(name: "RingletDTLSTests", dependencies: ["RingletDTLS", "RingletTestSupport"], swiftSettings: strict),
        .testTarget(name: "RingletSimulationTests", dependencies: ["RingletSimulation"], swiftSettings: strict),
        .testTarget(
            name: "RingletEngineTests",
            dependencies: ["RingletEngine", "RingletSimulation", "RingletTURN", "RingletEngineTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RingletNIOTests",
            dependencies: ["RingletNIO", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            swiftSettings: strict
        ),
        // A real browser: headless Chromium in a private network namespace against the Swift engine.
        .testTarget(
            name: "ChromiumInteropTests",
            dependencies: ["RingletEngine", "RingletICE", "RingletBrowserHarness"],
            swiftSettings: strict
        ),
        // The engine behind real Linux NATs (nftables masquerade in network namespaces), with coturn.
        .testTarget(
            name: "RealNATTests",
            dependencies: [
                "RingletEngine", "RingletNIO", "RingletDTLS", "RingletTURN", "RingletTestSupport", "RingletEngineTestSupport",
                "RingletSampleMedia", .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // The device SDK: its call machine, credentials file and parts; whole calls through a real `ringlet serve`
        // in a network namespace against the headless phone (facade callbacks in order, network loss, bad input).
        .testTarget(
            name: "RingletDeviceTests",
            dependencies: [
                "RingletDevice", "RingletDeviceTool", "RingletPhone", "RingletCall", "RingletCore", "RingletDTLS", "RingletNIO",
                "RingletSignaling", "RingletSampleMedia", "RingletMediaStreams", "RingletRTP", "RingletSDP",
                "RingletTestSupport", "RingletWebTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // The readers of a device's media input, against ffmpeg/ffprobe.
        .testTarget(
            name: "RingletMediaStreamsTests",
            dependencies: ["RingletMediaStreams", "RingletSampleMedia", "RingletTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(name: "RingletSignalingTests", dependencies: ["RingletSignaling"], swiftSettings: strict),
        // Web Push: RFC 8291 Appendix A byte for byte, VAPID tokens, subscription checks, the delivery decisions.
        .testTarget(
            name: "RingletWebPushTests",
            dependencies: ["RingletWebPush", "RingletCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RingletStoreTests",
            dependencies: ["RingletStore", "RingletLab", "RingletTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        // The cloud service: API and router flows in process (HummingbirdTesting .router) and live over loopback.
        .testTarget(
            name: "RingletServerTests",
            dependencies: [
                "RingletServer", "RingletStore", "RingletSignaling", "RingletTestSupport", "RingletWebPush", "RingletCore",
                "RingletLab",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ],
            swiftSettings: strict
        ),
        // The callee web app in headless Chromium against a real `ringlet serve --dev` (docs/webapp.md).
        .testTarget(
            name: "WebAppTests",
            dependencies: ["RingletWebTestSupport", "RingletTestSupport"],
            swiftSettings: strict
        ),
        // Attacks on a real `ringlet serve` in a network namespace, beside a call with media (docs/security.md).
        .testTarget(
            name: "SecurityTests",
            dependencies: [
                "RingletWebTestSupport", "RingletTestSupport", "RingletPhone", "RingletNIO", "RingletCore", "RingletSTUN",
                "RingletTURN", "RingletSignaling",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // coturn's tools (turnutils_stunclient, turnutils_uclient/peer) and Debian's `stun` against Ringlet's TURN.
        .testTarget(
            name: "TURNInteropTests",
            dependencies: ["RingletNIO", "RingletTURN", "RingletTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(name: "RingletRTPTests", dependencies: ["RingletRTP"], resources: [.copy("Vectors")], swiftSettings: strict),
        .testTarget(name: "RingletSRTPTests", dependencies: ["RingletSRTP"], resources: [.copy("Vectors")], swiftSettings: strict),
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
