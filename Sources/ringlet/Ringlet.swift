import ArgumentParser

/// The `ringlet` command-line tool.
@main
struct Ringlet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringlet",
        abstract: "Ringlet: one-to-one audio/video calls between IoT devices and people, on WebRTC.",
        version: "0.1.0",
        subcommands: [DemoCommand.self, Serve.self, Admin.self, DeviceCommand.self, PhoneCommand.self, Bench.self,
                      CredentialsStressCommand.self]
    )
}
