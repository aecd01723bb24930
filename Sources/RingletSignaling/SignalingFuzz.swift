/// Fuzz entry points for the signaling decoders (SPI: never reachable from the network).
@_spi(Fuzzing)
public enum SignalingFuzz {
    /// Parses `data` as a client and as a server message; when one parses, checks that encode → decode gives
    /// an equal message, and traps only if that invariant is broken.
    public static func messages(_ data: [UInt8]) {
        if let message = try? ClientMessage(parsing: data) {
            guard let again = try? ClientMessage(parsing: message.encoded()), again == message else {
                fatalError("ClientMessage round trip changed \(message)")
            }
        }
        if let message = try? ServerMessage(parsing: data) {
            guard let again = try? ServerMessage(parsing: message.encoded()), again == message else {
                fatalError("ServerMessage round trip changed \(message)")
            }
        }
    }
}
