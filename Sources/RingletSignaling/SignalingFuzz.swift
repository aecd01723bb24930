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

    /// Parses `data` (as UTF-8) as a STUN/TURN URL; a URL that parses must have a host and a port.
    public static func iceServerURL(_ data: [UInt8]) {
        guard let url = try? ICEServerURL(parsing: String(decoding: data, as: UTF8.self)) else { return }
        guard !url.host.isEmpty, url.port > 0 else { fatalError("ICEServerURL accepted \(url)") }
    }
}
