/// The 14-bit message type: method and class interleaved as RFC 8489 §5 Figure 3 draws it.
///
/// ```
///  0                 1
///  2  3  4 5 6 7 8 9 0 1 2 3 4 5
/// +--+--+-+-+-+-+-+-+-+-+-+-+-+-+
/// |M |M |M|M|M|C|M|M|M|C|M|M|M|M|
/// |11|10|9|8|7|1|6|5|4|0|3|2|1|0|
/// +--+--+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
public struct STUNMessageType: Hashable, Sendable, CustomStringConvertible {
    /// The method.
    public let method: STUNMethod
    /// The class.
    public let messageClass: STUNClass

    /// Makes a message type.
    public init(method: STUNMethod, messageClass: STUNClass) {
        self.method = method
        self.messageClass = messageClass
    }

    /// Splits a 16-bit type field; nil if either of its top two bits is set (not STUN).
    public init?(rawValue: UInt16) {
        guard rawValue & 0xC000 == 0 else { return nil }
        let m = (rawValue & 0x000F) | ((rawValue & 0x00E0) >> 1) | ((rawValue & 0x3E00) >> 2)
        let c = UInt8(truncatingIfNeeded: ((rawValue & 0x0010) >> 4) | ((rawValue & 0x0100) >> 7))
        guard let method = STUNMethod(rawValue: m), let cls = STUNClass(rawValue: c) else { return nil }
        self.init(method: method, messageClass: cls)
    }

    /// The 16-bit type field as sent.
    public var rawValue: UInt16 {
        let m = method.rawValue
        let c = UInt16(messageClass.rawValue)
        return (m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 0x1) << 4) | ((c & 0x2) << 7)
    }

    /// "Binding request", "Allocate error response", ….
    public var description: String { "\(method) \(messageClass)" }

    /// Binding request.
    public static let bindingRequest = STUNMessageType(method: .binding, messageClass: .request)
    /// Binding success response.
    public static let bindingSuccess = STUNMessageType(method: .binding, messageClass: .successResponse)
    /// Binding error response.
    public static let bindingError = STUNMessageType(method: .binding, messageClass: .errorResponse)
    /// Binding indication (keepalive).
    public static let bindingIndication = STUNMessageType(method: .binding, messageClass: .indication)
}
