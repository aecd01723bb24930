// JSON framing shared by ClientMessage and ServerMessage: the `v` / `type` envelope around a payload object.
// FoundationEssentials is used here for JSONEncoder/JSONDecoder only (the device SDK links no full Foundation).
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

enum MessageCoding {
    private enum EnvelopeKey: String, CodingKey { case v, type }

    /// Decodes the envelope and, inside the same decoding pass, the payload chosen by `type`.
    private struct Box<Message: EnvelopeDecodable>: Decodable {
        let message: Message
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: EnvelopeKey.self)
            guard let version = try container.decodeIfPresent(Int.self, forKey: .v) else {
                throw SignalingError(.unsupportedVersion, field: "v", "the \"v\" field is missing")
            }
            guard version == SignalingLimits.version else {
                throw SignalingError(.unsupportedVersion, field: "v", "version \(version) is not supported (only 1)")
            }
            let type = try container.decode(String.self, forKey: .type)
            message = try Message(type: type, decoder: decoder)
        }
    }

    static func decode<Message: EnvelopeDecodable>(_ bytes: [UInt8]) throws(SignalingError) -> Message {
        guard bytes.count <= SignalingLimits.maximumMessageSize else {
            throw SignalingError(.tooLarge, "message of \(bytes.count) bytes exceeds \(SignalingLimits.maximumMessageSize)")
        }
        do {
            return try JSONDecoder().decode(Box<Message>.self, from: Data(bytes)).message
        } catch {
            throw mapped(error)
        }
    }

    static func encode<T: Encodable>(_ type: String, _ payload: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain structs of strings, numbers and bools cannot fail; an empty object is the fallback.
        guard let data = try? encoder.encode(Wrapped(type: type, payload: payload)) else { return Array("{}".utf8) }
        return Array(data)
    }

    private struct Wrapped<T: Encodable>: Encodable {
        let type: String
        let payload: T
        func encode(to encoder: any Encoder) throws {
            try payload.encode(to: encoder)
            var container = encoder.container(keyedBy: EnvelopeKey.self)
            try container.encode(SignalingLimits.version, forKey: .v)
            try container.encode(type, forKey: .type)
        }
    }

    private static func mapped(_ error: any Error) -> SignalingError {
        if let error = error as? SignalingError { return error }
        guard let error = error as? DecodingError else {
            return SignalingError(.malformed, "\(error)")
        }
        func path(_ codingPath: [any CodingKey]) -> String? {
            codingPath.isEmpty ? nil : codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = (path(context.codingPath).map { $0 + "." } ?? "") + key.stringValue
            return SignalingError(.malformed, field: field, "required field \"\(field)\" is missing")
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return SignalingError(.malformed, field: path(context.codingPath), "wrong type: \(context.debugDescription)")
        case .dataCorrupted(let context):
            return SignalingError(.malformed, field: path(context.codingPath), "not valid JSON or value: \(context.debugDescription)")
        @unknown default:
            return SignalingError(.malformed, "\(error)")
        }
    }
}

/// A message enum that decodes its payload from the decoder of the whole JSON object, given the `type`.
protocol EnvelopeDecodable {
    init(type: String, decoder: any Decoder) throws
}
