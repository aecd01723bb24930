/// A STUN method: the 12-bit operation a message carries (RFC 8489 §5, §18.2; TURN methods RFC 8656 §18).
///
/// Open: any 12-bit value round-trips; the constants name the registered ones Ringlet uses.
public struct STUNMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 12-bit method number.
    public let rawValue: UInt16

    /// Makes a method; nil unless `rawValue` fits in 12 bits.
    public init?(rawValue: UInt16) {
        guard rawValue <= 0x0FFF else { return nil }
        self.rawValue = rawValue
    }

    private init(registered: UInt16) { rawValue = registered }

    /// Binding (RFC 8489 §18.2).
    public static let binding = STUNMethod(registered: 0x001)
    /// Allocate (RFC 8656 §18).
    public static let allocate = STUNMethod(registered: 0x003)
    /// Refresh (RFC 8656 §18).
    public static let refresh = STUNMethod(registered: 0x004)
    /// Send, indication only (RFC 8656 §18).
    public static let send = STUNMethod(registered: 0x006)
    /// Data, indication only (RFC 8656 §18).
    public static let data = STUNMethod(registered: 0x007)
    /// CreatePermission (RFC 8656 §18).
    public static let createPermission = STUNMethod(registered: 0x008)
    /// ChannelBind (RFC 8656 §18).
    public static let channelBind = STUNMethod(registered: 0x009)

    /// The method's name, or its number in hex.
    public var description: String {
        switch rawValue {
        case 0x001: "Binding"
        case 0x003: "Allocate"
        case 0x004: "Refresh"
        case 0x006: "Send"
        case 0x007: "Data"
        case 0x008: "CreatePermission"
        case 0x009: "ChannelBind"
        default: "Method(0x\(String(rawValue, radix: 16)))"
        }
    }
}

/// The class of a STUN message: two bits, so the four values are all there is (RFC 8489 §5).
public enum STUNClass: UInt8, Hashable, Sendable, CaseIterable {
    /// A request (C1 C0 = 0b00).
    case request = 0b00
    /// An indication (0b01).
    case indication = 0b01
    /// A success response (0b10).
    case successResponse = 0b10
    /// An error response (0b11).
    case errorResponse = 0b11
}

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
