// swift-tools-version: 6.1
// libFuzzer targets for Ringlet's parsers of untrusted bytes. Not part of the library: users never build this.
// Build and run with scripts/fuzz.sh; see docs/fuzzing.md.
import PackageDescription

/// One libFuzzer target: an executable whose only source is a thin shim calling a `@_spi(Fuzzing)` entry point.
/// `ready: false` leaves the target out until its module's entry point exists; set it to `true` when it lands.
struct FuzzTarget {
    let name: String
    let module: String
    let ready: Bool
}

let fuzzTargets: [FuzzTarget] = [
    .init(name: "FuzzCoreByteReader", module: "RingletCore", ready: true),
    .init(name: "FuzzCorePageToken", module: "RingletCore", ready: true),
    .init(name: "FuzzCoreForwardedFor", module: "RingletCore", ready: true),
    .init(name: "FuzzSTUNMessage", module: "RingletSTUN", ready: true),
    .init(name: "FuzzTURNChannelData", module: "RingletTURN", ready: true),
    .init(name: "FuzzRTP", module: "RingletRTP", ready: true),
    .init(name: "FuzzRTCP", module: "RingletRTP", ready: true),
    .init(name: "FuzzH264Payload", module: "RingletRTP", ready: true),
    .init(name: "FuzzH265Payload", module: "RingletRTP", ready: true),
    .init(name: "FuzzOpusPayload", module: "RingletRTP", ready: true),
    .init(name: "FuzzG711Payload", module: "RingletRTP", ready: true),
    .init(name: "FuzzSRTPUnprotectRTP", module: "RingletSRTP", ready: true),
    .init(name: "FuzzSRTPUnprotectRTCP", module: "RingletSRTP", ready: true),
    .init(name: "FuzzSDPSessionDescription", module: "RingletSDP", ready: true),
    .init(name: "FuzzICEAgentDatagram", module: "RingletICE", ready: true),
    .init(name: "FuzzICECandidateText", module: "RingletICE", ready: true),
    .init(name: "FuzzDTLSServerHandshake", module: "RingletDTLS", ready: true),
    .init(name: "FuzzTURNServer", module: "RingletTURN", ready: true),
    .init(name: "FuzzSignalingMessage", module: "RingletSignaling", ready: true),
    .init(name: "FuzzICEServerURL", module: "RingletSignaling", ready: true),
    .init(name: "FuzzOggOpus", module: "RingletMediaStreams", ready: true),
    .init(name: "FuzzAnnexBStream", module: "RingletMediaStreams", ready: true),
    .init(name: "FuzzWebPushDecrypt", module: "RingletWebPush", ready: true),
    .init(name: "FuzzWebPushSubscription", module: "RingletWebPush", ready: true),
]

let package = Package(
    name: "RingletFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Ringlet", path: ".."),
    ],
    targets: fuzzTargets.filter(\.ready).map { t in
        .executableTarget(
            name: t.name,
            dependencies: [.product(name: t.module, package: "Ringlet")],
            path: "Sources/\(t.name)"
        )
    },
    swiftLanguageModes: [.v6]
)
