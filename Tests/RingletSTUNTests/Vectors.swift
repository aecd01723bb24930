import Foundation
import RingletCore
@testable import RingletSTUN

/// Loads RFC 5769 vectors from the test bundle.
enum Vectors {
    static func bytes(_ name: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: name, withExtension: "hex", subdirectory: "Vectors") else {
            throw VectorError.missing(name)
        }
        guard let bytes = [UInt8](hex: try String(contentsOf: url, encoding: .utf8)) else {
            throw VectorError.badHex(name)
        }
        return bytes
    }

    enum VectorError: Error { case missing(String), badHex(String) }

    static let request = "rfc5769-2.1-request"
    static let ipv4Response = "rfc5769-2.2-ipv4-response"
    static let ipv6Response = "rfc5769-2.3-ipv6-response"
    static let longTermRequest = "rfc5769-2.4-long-term-request"
    static let all = [request, ipv4Response, ipv6Response, longTermRequest]

    static let shortTermPassword = "VOkJxbRl1RmTxUk/WvJxBt"
    static let rfcTransactionID = STUNTransactionID(bytes: [UInt8](hex: "b7e7a701bc34d686fa87dfae") ?? [])

    /// The bytes with every attribute's padding set to zero (what our encoder writes).
    static func zeroPadded(_ bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        var at = 20
        while at + 4 <= out.count {
            let n = Int(out[at + 2]) << 8 | Int(out[at + 3])
            let padded = (n + 3) & ~3
            for i in (at + 4 + n)..<(at + 4 + padded) where i < out.count { out[i] = 0 }
            at += 4 + padded
        }
        return out
    }
}
