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
