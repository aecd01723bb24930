import ArgumentParser
import Foundation

/// `ringlet bench size`: what a linked program or library is made of — its loaded bytes by component (each
/// SwiftPM module, each static library of the toolchain, the C runtime), from the linker's map file, grouped by
/// package; with the file's size and its stripped size.
///
///     swift build -c release --static-swift-stdlib -Xlinker -no-pie -Xlinker -Map=/tmp/device.map \
///         --product ringlet-device --scratch-path .build-static
///     ringlet bench size --map /tmp/device.map --binary .build-static/release/ringlet-device
struct SizeBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "size",
        abstract: "A linked binary's size by component (from the linker's map file), and its stripped size."
    )

    @Option(help: "The linker map file (-Xlinker -Map=FILE).") var map: String
    @Option(help: "The linked file, to report its size and stripped size.") var binary: String?
    @Option(help: "Components to list (the largest first).") var top: Int = 40

    func run() async throws {
        let text = try String(contentsOfFile: map, encoding: .utf8)
        let sizes = LinkerMap.sizes(text)
        var report: [String: Any] = ["bench": "size", "map": map]
        if let binary {
            let size = (try FileManager.default.attributesOfItem(atPath: binary)[.size] as? NSNumber)?.intValue ?? 0
            report["binary"] = binary
            report["file_bytes"] = size
            report["stripped_bytes"] = try await Self.strippedSize(binary)
        }
        let total = sizes.values.reduce(0, +)
        report["loaded_bytes"] = total
        report["components"] = sizes.sorted { $0.value > $1.value }.prefix(top).map { ["component": $0.key, "bytes": $0.value] }
        var groups: [String: Int] = [:]
        for (component, bytes) in sizes { groups[LinkerMap.package(of: component), default: 0] += bytes }
        report["packages"] = groups.sorted { $0.value > $1.value }.map { ["package": $0.key, "bytes": $0.value] }
        let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// The size of a stripped copy (`strip --strip-all`, or `--strip-unneeded` for a shared library).
    static func strippedSize(_ path: String) async throws -> Int {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("ringlet-size-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: copy) }
        try FileManager.default.copyItem(atPath: path, toPath: copy.path)
        let strip = Process()
        strip.executableURL = URL(fileURLWithPath: "/usr/bin/strip")
        strip.arguments = [path.hasSuffix(".so") ? "--strip-unneeded" : "--strip-all", copy.path]
        try strip.run()
        while strip.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        return (try FileManager.default.attributesOfItem(atPath: copy.path)[.size] as? NSNumber)?.intValue ?? 0
    }
}

/// Reads a GNU (gold or bfd) linker map: the bytes each input file puts into the output's loaded sections.
enum LinkerMap {
    /// Output sections that are not loaded (debug information, symbol tables, notes).
    static func loaded(_ section: String) -> Bool {
        !(section.hasPrefix(".debug") || section.hasPrefix(".comment") || section.hasPrefix(".symtab")
            || section.hasPrefix(".strtab") || section.hasPrefix(".shstrtab") || section.hasPrefix(".note.gnu.gold")
            || section.hasPrefix(".gnu.warning") || section == "/DISCARD/")
    }

    /// Bytes per component in the map's memory map.
    static func sizes(_ text: String) -> [String: Int] {
        var out: [String: Int] = [:]
        var inMemoryMap = false
        var outputSection = ""
        var pendingName: String?
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.hasPrefix("Memory map") || line.hasPrefix("Linker script and memory map") {
                inMemoryMap = true
                continue
            }
            guard inMemoryMap else { continue }
            if let first = line.first, first != " ", first != "*" {
                // An output section: ".text  0xADDR  0xSIZE" (or its name alone on a line).
                outputSection = String(line.split(separator: " ").first ?? "")
                pendingName = nil
                continue
            }
            guard loaded(outputSection) else { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            // An input section: " .name 0xADDR 0xSIZE FILE", or " .name" then "   0xADDR 0xSIZE FILE".
            var rest = fields
            if let f = fields.first, f.hasPrefix("."), !f.hasPrefix("0x") {
                rest = Array(fields.dropFirst())
                if rest.isEmpty {
                    pendingName = f
                    continue
                }
            } else if pendingName == nil {
                continue
            }
            pendingName = nil
            guard rest.count >= 3, rest[0].hasPrefix("0x"), rest[1].hasPrefix("0x"),
                  let size = Int(rest[1].dropFirst(2), radix: 16), size > 0 else { continue }
            out[component(rest[2...].joined(separator: " ")), default: 0] += size
        }
        return out
    }

    /// The component an input file belongs to: a SwiftPM module (`…/Module.build/x.o`), a static library
    /// (`…/libX.a(member.o)`), or the C runtime.
    static func component(_ file: String) -> String {
        if let r = file.range(of: ".build/", options: .backwards) {
            let dir = file[..<r.lowerBound].split(separator: "/").last.map(String.init) ?? file
            return dir
        }
        if let open = file.firstIndex(of: "("), file[..<open].hasSuffix(".a") {
            let archive = file[..<open].split(separator: "/").last.map(String.init) ?? file
            return archive
        }
        let name = file.split(separator: "/").last.map(String.init) ?? file
        return name.hasSuffix(".o") && (name.hasPrefix("crt") || name == "swiftrt.o") ? "C runtime (\(name))" : name
    }

    /// The package a component comes from.
    static func package(of component: String) -> String {
        let c = component
        if c.hasPrefix("Ringlet") || c.hasPrefix("CRinglet") || c == "ringlet-device" || c == "COpenSSL" { return "Ringlet" }
        if c.hasPrefix("CNIOBoringSSL") || c.hasPrefix("NIOSSL") || c == "NIOTLS" { return "swift-nio-ssl (BoringSSL)" }
        if c.hasPrefix("NIO") || c.hasPrefix("_NIO") || c.hasPrefix("CNIO") { return "swift-nio" }
        if ["HummingbirdWSClient", "WSClient", "WSCore", "HummingbirdWSCore", "HTTPTypes", "NIOHTTPTypes",
            "NIOHTTPTypesHTTP1", "AsyncAlgorithms", "ServiceLifecycle", "UnixSignals", "_AsyncAlgorithmsInternal",
            "DequeModule", "OrderedCollections", "InternalCollectionsUtilities", "Atomics", "_AtomicsShims",
            "Tracing", "Instrumentation", "ServiceContextModule", "HummingbirdCore", "Hummingbird"].contains(c) {
            return "hummingbird-websocket client and its dependencies"
        }
        if c.hasPrefix("ArgumentParser") { return "swift-argument-parser" }
        if c == "Logging" { return "swift-log" }
        if c.hasPrefix("libswift") || c == "libBlocksRuntime.a" || c == "libdispatch.a" { return "Swift runtime and standard library" }
        if c.hasPrefix("libFoundation") || c.hasPrefix("lib_Foundation") { return "FoundationEssentials" }
        if c.hasPrefix("C runtime") || c.hasPrefix("libc") || c.hasPrefix("libgcc") || c.hasPrefix("libstdc++") { return "C and C++ runtime" }
        return "other: \(c)"
    }
}
