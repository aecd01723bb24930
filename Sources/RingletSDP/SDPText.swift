/// Small text helpers shared by the parsers: strict decimal numbers and space-separated tokens.
enum SDPText {
    static let space: UInt8 = 0x20

    /// Parses a decimal integer made only of ASCII digits, with no sign and no leading zero (except "0"
    /// itself), so that the value prints back to the same text. Nil on anything else or on overflow.
    static func decimal<T: FixedWidthInteger & UnsignedInteger, C: Collection>(_ text: C, as: T.Type = T.self) -> T?
    where C.Element == UInt8 {
        guard let first = text.first, text.count <= 20 else { return nil }
        if first == UInt8(ascii: "0") && text.count > 1 { return nil }
        var value: T = 0
        for c in text {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(T(c &- UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            value = a
        }
        return value
    }

    /// `decimal` over a string.
    static func decimal<T: FixedWidthInteger & UnsignedInteger>(_ text: some StringProtocol, as: T.Type = T.self) -> T? {
        decimal(text.utf8, as: T.self)
    }

    /// Splits `text` on single spaces. Nil when a token would be empty (double, leading or trailing space).
    static func tokens(_ text: some StringProtocol) -> [String]? {
        var out = [String]()
        var current = [UInt8]()
        for c in text.utf8 {
            if c == space {
                guard !current.isEmpty else { return nil }
                out.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
            } else {
                current.append(c)
            }
        }
        guard !current.isEmpty else { return nil }
        out.append(String(decoding: current, as: UTF8.self))
        return out
    }

    /// Splits `text` at the first occurrence of `separator`; nil when it does not occur.
    static func splitOnce(_ text: String, _ separator: UInt8) -> (String, String)? {
        let u = Array(text.utf8)
        guard let i = u.firstIndex(of: separator) else { return nil }
        return (String(decoding: u[..<i], as: UTF8.self), String(decoding: u[(i + 1)...], as: UTF8.self))
    }

    /// Splits `text` on every `separator`, keeping empty pieces.
    static func split(_ text: String, _ separator: UInt8) -> [String] {
        Array(text.utf8).split(separator: separator, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether `c` is an RFC 8866 §9 `token-char`.
    static func isTokenChar(_ c: UInt8) -> Bool {
        switch c {
        case 0x21, 0x23...0x27, 0x2A...0x2B, 0x2D...0x2E, 0x30...0x39, 0x41...0x5A, 0x5E...0x7E: return true
        default: return false
        }
    }

    /// Whether `text` is a non-empty RFC 8866 `token`.
    static func isToken(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(isTokenChar)
    }

    /// Whether `c` is an RFC 8839 §5.1 `ice-char` (ALPHA / DIGIT / "+" / "/").
    static func isICEChar(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "+"), UInt8(ascii: "/"): return true
        default: return false
        }
    }

    /// Whether `text` is free of spaces and control characters (a `non-ws-string`, RFC 8866 §9).
    static func isNonWhitespace(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 > 0x20 && $0 != 0x7F }
    }

    /// ASCII lower-casing, for case-insensitive comparison of codec names and keywords.
    static func lower(_ text: some StringProtocol) -> String {
        String(decoding: text.utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
