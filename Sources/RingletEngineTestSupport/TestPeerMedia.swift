import Foundation
import RingletCore
import RingletDTLS

/// One H.264 access unit (Annex B) of a clip a test peer plays.
public struct AccessUnit: Sendable {
    /// The Annex B bytes.
    public let bytes: [UInt8]
    /// Whether it holds an IDR.
    public let isKeyframe: Bool

    /// Makes an access unit.
    public init(bytes: [UInt8], isKeyframe: Bool) {
        self.bytes = bytes
        self.isKeyframe = isKeyframe
    }
}

/// A TURN server and REST credentials for it, as a test hands them to an engine.
public struct TURNAccess: Sendable {
    /// The server's address.
    public let address: TransportAddress
    /// The REST username (`expiry:id`).
    public let username: String
    /// The REST password.
    public let password: String
    /// UDP or TCP to the server.
    public let transport: TransportProtocol

    /// Makes TURN access.
    public init(address: TransportAddress, username: String, password: String, transport: TransportProtocol = .udp) {
        self.address = address
        self.username = username
        self.password = password
        self.transport = transport
    }
}

/// One DTLS certificate for a whole test run, as the SDK makes one per device; nil if OpenSSL could not make one.
public enum TestCertificate {
    /// The certificate, made on first use.
    public static let shared: DTLSCertificate? = {
        var rng = SystemRandomNumberGenerator()
        return try? DTLSCertificate(unixTime: Int64(Date().timeIntervalSince1970), using: &rng)
    }()
}
