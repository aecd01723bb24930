#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RingletCore
import RingletNIO
import RingletTestSupport

/// What went wrong while building or running the lab, with the command and its output.
struct NATLabError: Error, CustomStringConvertible {
    let description: String
}

/// A small internet in network namespaces, built with `ip` and `nft` and torn down by `withLab`.
///
/// `pub` is "the internet": it holds the public side of every NAT on its own /24 and routes between them
/// (forwarding on), and runs coturn. A NAT is two namespaces: `nat` (inside veth `veth-in` 10.0.N.1/24, outside
/// veth `veth-out` toward `pub`, forwarding on, nftables `masquerade` — optionally `random,fully-random` — on
/// `veth-out`) and `host` (eth0 10.0.N.2/24, default route via the NAT). Nothing touches the host's interfaces:
/// veth pairs are created directly inside their namespaces (`ip link add … netns A type veth peer … netns B`).
final class NATLab: @unchecked Sendable {
    // @unchecked Sendable: mutated only by the owning test task, during setup and teardown.
    let tag: String
    let pub: NetworkNamespace
    let work: URL
    fileprivate(set) var namespaces: [NetworkNamespace] = []
    private(set) var commandLog: [String] = []
    private var turnserver: RingletNIO.ChildProcess?

    private init(tag: String, pub: NetworkNamespace, work: URL) {
        self.tag = tag
        self.pub = pub
        self.work = work
        namespaces = [pub]
    }

    /// Checks root and tools (a missing tool fails, it does not skip), builds `pub`, runs `body`, and always
    /// stops coturn and deletes every namespace.
    /// `bogonSink`: route 10.0.0.0/8 in `pub` into a silent sink (see `addBogonSink`); `RINGLET_NAT_BOGON_SINK=0`
    /// or `=1` overrides it for every test.
    static func withLab<R>(bogonSink: Bool = false, _ body: (NATLab) async throws -> R) async throws -> R {
        guard geteuid() == 0 else { throw NATLabError(description: "the NAT tests need root (ip netns, nft)") }
        _ = try requireTool("ip", package: "iproute2")
        _ = try requireTool("nft", package: "nftables")
        _ = try requireTool("turnserver", package: "coturn")
        let tag = "\(getpid() % 100_000)\(UInt16.random(in: 0...UInt16.max) % 1000)"
        let pub = try NetworkNamespace.create(name: "rn-pub-\(tag)")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("ringlet-nat-\(tag)")
        let lab = NATLab(tag: tag, pub: pub, work: work)
        do {
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            try lab.sh(pub.exec(["sysctl", "-qw", "net.ipv4.ip_forward=1"]))
            let override = ProcessInfo.processInfo.environment["RINGLET_NAT_BOGON_SINK"]
            if override.map({ $0 == "1" }) ?? bogonSink {
                try lab.addBogonSink()
            }
            let result = try await body(lab)
            lab.teardown()
            return result
        } catch {
            lab.teardown()
            throw error
        }
    }

    /// Routes 10.0.0.0/8 in `pub` into a silent sink (as ISPs drop bogons), so a check toward a peer's private
    /// host candidate draws no ICMP unreachable and coturn's relay `sendto` to it succeeds. Only the relayed
    /// policy-all test uses it: without it coturn deletes the allocation when that send has no route
    /// (docs/real-nat.md, "partly open"); the direct and relay-only tests run without it.
    func addBogonSink() throws {
        // (No dummy driver in this kernel: a veth into a namespace with nothing in it, and a permanent
        // neighbour entry so no ARP failure turns into an ICMP host unreachable.)
        let sink = try NetworkNamespace.create(name: "rn-sink-\(tag)")
        namespaces.append(sink)
        try sh(["ip", "link", "add", "bogons", "netns", pub.name, "type", "veth", "peer", "name", "sink",
                "netns", sink.name])
        try sh(["ip", "-n", sink.name, "link", "set", "sink", "up"])
        try sh(["ip", "-n", pub.name, "link", "set", "bogons", "up"])
        try sh(["ip", "-n", pub.name, "addr", "add", "192.0.2.1/30", "dev", "bogons"])
        try sh(["ip", "-n", pub.name, "neigh", "add", "192.0.2.2", "lladdr", "02:00:00:00:00:02", "dev",
                "bogons", "nud", "permanent"])
        try sh(["ip", "-n", pub.name, "route", "add", "10.0.0.0/8", "via", "192.0.2.2"])
    }

    /// `RINGLET_NAT_TURN_LOG=PATH`: coturn runs with `--verbose` and its log is kept at PATH (appended).
    static let keepTurnLog = ProcessInfo.processInfo.environment["RINGLET_NAT_TURN_LOG"]

    private func teardown() {
        turnserver?.terminate(graceMilliseconds: 1000)
        turnserver = nil
        if let path = Self.keepTurnLog, let text = try? String(contentsOf: work.appendingPathComponent("turn.log"), encoding: .utf8) {
            let old = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            try? (old + text).write(toFile: path, atomically: true, encoding: .utf8)
        }
        for ns in namespaces.reversed() { ns.delete() }
        namespaces.removeAll()
        try? FileManager.default.removeItem(at: work)
    }

    /// Runs a command to completion; throws with its output when it exits non-zero.
    func sh(_ argv: [String]) throws {
        commandLog.append(argv.joined(separator: " "))
        let out = work.appendingPathComponent("cmd.log").path
        let status = try RingletNIO.ChildProcess.run(argv, outputPath: out)
        guard status == 0 else {
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            throw NATLabError(description: "`\(argv.joined(separator: " "))` exited with \(status): \(text)")
        }
    }

    /// A NAT and the host behind it.
    struct Site: Sendable {
        let nat: NetworkNamespace
        let host: NetworkNamespace
        /// The host's own (private) address.
        let hostAddress: IPAddress
        /// The NAT's public address (what masquerade rewrites to).
        let publicAddress: IPAddress
        /// `pub`'s address on this site's link.
        let gateway: IPAddress
    }

    /// Builds NAT site `index` (1, 2, …): inside 10.0.INDEX.0/24, outside `outside`.1/24 with `pub` at .254.
    func addSite(_ name: String, index: Int, outside: String, randomPorts: Bool) throws -> Site {
        let nat = try NetworkNamespace.create(name: "rn-\(name)nat-\(tag)")
        namespaces.append(nat)
        let host = try NetworkNamespace.create(name: "rn-\(name)host-\(tag)")
        namespaces.append(host)
        let pubLink = "veth-\(name)"
        let inside = "10.0.\(index)"
        try sh(["ip", "link", "add", "veth-out", "netns", nat.name, "type", "veth", "peer", "name", pubLink,
                "netns", pub.name])
        try sh(["ip", "link", "add", "eth0", "netns", host.name, "type", "veth", "peer", "name", "veth-in",
                "netns", nat.name])
        try sh(["ip", "-n", pub.name, "addr", "add", "\(outside).254/24", "dev", pubLink])
        try sh(["ip", "-n", pub.name, "link", "set", pubLink, "up"])
        try sh(["ip", "-n", nat.name, "addr", "add", "\(outside).1/24", "dev", "veth-out"])
        try sh(["ip", "-n", nat.name, "link", "set", "veth-out", "up"])
        try sh(["ip", "-n", nat.name, "addr", "add", "\(inside).1/24", "dev", "veth-in"])
        try sh(["ip", "-n", nat.name, "link", "set", "veth-in", "up"])
        try sh(["ip", "-n", nat.name, "route", "add", "default", "via", "\(outside).254"])
        try sh(["ip", "-n", host.name, "addr", "add", "\(inside).2/24", "dev", "eth0"])
        try sh(["ip", "-n", host.name, "link", "set", "eth0", "up"])
        try sh(["ip", "-n", host.name, "route", "add", "default", "via", "\(inside).1"])
        try sh(nat.exec(["sysctl", "-qw", "net.ipv4.ip_forward=1"]))
        try sh(nat.exec(["nft", "add", "table", "ip", "nat"]))
        try sh(nat.exec(["nft", "add", "chain", "ip", "nat", "post",
                         "{ type nat hook postrouting priority 100 ; }"]))
        try sh(nat.exec(["nft", "add", "rule", "ip", "nat", "post", "oifname", "veth-out", "masquerade"]
                        + (randomPorts ? ["random,fully-random"] : [])))
        guard let h = IPAddress("\(inside).2"), let p = IPAddress("\(outside).1"), let g = IPAddress("\(outside).254")
        else { throw NATLabError(description: "bad address text") }
        return Site(nat: nat, host: host, hostAddress: h, publicAddress: p, gateway: g)
    }

    /// `nft list ruleset` of a namespace (for failure messages and the docs).
    func ruleset(_ ns: NetworkNamespace) -> String {
        let out = work.appendingPathComponent("nft.log").path
        _ = try? RingletNIO.ChildProcess.run(ns.exec(["nft", "list", "ruleset"]), outputPath: out)
        return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    }

    /// Starts coturn in `pub` on `address`:3478 (TURN REST shared secret), and with `tls` also TURN over TLS on
    /// `address`:5349 with that certificate; returns once it listens.
    func startTurnserver(on address: IPAddress, secret: String, tls: TestCA.Issued? = nil) async throws
        -> TransportAddress
    {
        let log = work.appendingPathComponent("turn.log").path
        let tlsFlags = tls.map { ["--tls-listening-port=5349", "--cert=\($0.chainPath)", "--pkey=\($0.keyPath)"] }
            ?? ["--no-tls"]
        let argv = pub.exec([
            "turnserver", "-n", "--listening-port=3478", "--listening-ip=\(address)", "--relay-ip=\(address)",
            "--use-auth-secret", "--static-auth-secret=\(secret)", "--realm=ringlet.test",
            "--pidfile=\(work.appendingPathComponent("turn.pid").path)",
            "--cli-password=x", "--no-cli", "--no-dtls", "--log-file=stdout", "--simple-log",
        ] + tlsFlags + (Self.keepTurnLog == nil ? [] : ["--verbose"]))
        commandLog.append(argv.joined(separator: " "))
        turnserver = try RingletNIO.ChildProcess.spawn(argv, outputPath: log, newProcessGroup: true)
        let listening = await poll(timeout: .seconds(5)) {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            return text.contains("listener opened on") || text.contains("Total General servers")
        }
        guard listening else { throw NATLabError(description: "turnserver did not start:\n\(turnLog())") }
        return TransportAddress(address, 3478)
    }

    /// Starts Ringlet's own server (`ringlet serve`, default TURN peer policy) in `pub` with TURN on `address`:3478
    /// over UDP and TCP and the given REST secret; returns the TURN address once it listens.
    func startRingletTURN(on address: IPAddress, secret: String) async throws -> TransportAddress {
        let log = work.appendingPathComponent("turn.log").path
        let argv = pub.exec([
            try ringletExecutable(), "serve", "--data-dir", work.appendingPathComponent("ringlet-data").path,
            "--http", "\(address):8080", "--turn", "\(address):3478", "--turn-secret", secret,
            "--vapid-subject", "mailto:ops@ringlet.test",
        ])
        commandLog.append(argv.joined(separator: " "))
        turnserver = try RingletNIO.ChildProcess.spawn(argv, outputPath: log, newProcessGroup: true)
        let listening = await poll(timeout: .seconds(30)) {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            return text.contains("TURN server listening")
        }
        guard listening else { throw NATLabError(description: "ringlet serve did not start:\n\(turnLog())") }
        return TransportAddress(address, 3478)
    }

    /// The tail of coturn's log.
    func turnLog(lastBytes: Int = 3000) -> String {
        let text = (try? String(contentsOfFile: work.appendingPathComponent("turn.log").path, encoding: .utf8)) ?? ""
        return String(text.suffix(lastBytes))
    }
}

/// Polls every 20 ms until `condition` holds or `timeout` passes; returns the last answer.
func poll(timeout: Duration, _ condition: () async -> Bool) async -> Bool {
    let end = ContinuousClock.now + timeout
    while ContinuousClock.now < end {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}
