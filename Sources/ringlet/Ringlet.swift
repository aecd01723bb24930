import ArgumentParser

/// The `ringlet` command-line tool.
@main
struct Ringlet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringlet",
        abstract: "Ringlet: one-to-one audio/video calls between IoT devices and people, on WebRTC.",
        version: "0.1.0",
        subcommands: [Serve.self, Admin.self, Bench.self]
    )
}
