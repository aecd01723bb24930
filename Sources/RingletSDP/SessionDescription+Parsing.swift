extension SessionDescription {
    /// Parses SDP text (RFC 8866 §5).
    /// - Throws: `SDPError` saying which line is wrong and why.
    public init(parsing text: String) throws(SDPError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// Parses SDP bytes, which must be UTF-8 text (RFC 8866 §5, §9).
    /// - Throws: `SDPError` saying which line is wrong and why: `.tooLarge`, `.tooManyLines`, `.invalidText`,
    ///   `.malformedLine`, `.unknownLineType`, `.lineOutOfOrder`, `.missingLine`, `.invalidField`,
    ///   `.invalidNumber`.
    public init(parsing bytes: [UInt8]) throws(SDPError) {
        guard bytes.count <= Self.maximumSize else {
            throw SDPError(.tooLarge, field: "sdp", "\(bytes.count) bytes, more than \(Self.maximumSize)")
        }
        var parser = Parser()
        var lineStart = 0
        var lineNumber = 0
        var i = 0
        while lineStart < bytes.count {
            i = lineStart
            while i < bytes.count, bytes[i] != 0x0A { i += 1 }
            var lineEnd = i
            if lineEnd > lineStart, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            lineNumber += 1
            guard lineNumber <= Self.maximumLineCount else {
                throw SDPError(.tooManyLines, line: lineNumber, offset: lineStart, field: "sdp",
                               "more than \(Self.maximumLineCount) lines")
            }
            do {
                try parser.consume(bytes[lineStart..<lineEnd])
            } catch {
                throw error.at(line: lineNumber, offset: lineStart)
            }
            lineStart = i + 1
        }
        do {
            self = try parser.finish()
        } catch {
            throw error.at(line: lineNumber, offset: bytes.count)
        }
    }

    /// The line-by-line state machine of the RFC 8866 §9 grammar.
    private struct Parser {
        var sawVersion = false
        var origin: SDPOrigin?
        var sessionName: String?
        var information: String?
        var uri: String?
        var emails: [String] = []
        var phones: [String] = []
        var connection: SDPConnection?
        var bandwidths: [SDPBandwidth] = []
        var timings: [SDPTiming] = []
        var timeZones: String?
        var key: String?
        var attributes: [SDPAttribute] = []
        var media: [MediaDescription] = []
        /// Rank of the last line in the current section's grammar, -1 before any.
        var lastRank = -1
        var lastType: UInt8 = 0

        // Media section under construction.
        var current: MediaDescription?
        var mTitle: String?
        var mConnections: [SDPConnection] = []
        var mBandwidths: [SDPBandwidth] = []
        var mKey: String?
        var mAttributes: [SDPAttribute] = []

        static func sessionRank(_ t: UInt8) -> (rank: Int, repeatable: Bool)? {
            switch t {
            case UInt8(ascii: "v"): return (0, false)
            case UInt8(ascii: "o"): return (1, false)
            case UInt8(ascii: "s"): return (2, false)
            case UInt8(ascii: "i"): return (3, false)
            case UInt8(ascii: "u"): return (4, false)
            case UInt8(ascii: "e"): return (5, true)
            case UInt8(ascii: "p"): return (6, true)
            case UInt8(ascii: "c"): return (7, false)
            case UInt8(ascii: "b"): return (8, true)
            case UInt8(ascii: "t"), UInt8(ascii: "r"): return (9, true)
            case UInt8(ascii: "z"): return (10, false)
            case UInt8(ascii: "k"): return (11, false)
            case UInt8(ascii: "a"): return (12, true)
            default: return nil
            }
        }

        static func mediaRank(_ t: UInt8) -> (rank: Int, repeatable: Bool)? {
            switch t {
            case UInt8(ascii: "i"): return (1, false)
            case UInt8(ascii: "c"): return (2, true)
            case UInt8(ascii: "b"): return (3, true)
            case UInt8(ascii: "k"): return (4, false)
            case UInt8(ascii: "a"): return (5, true)
            default: return nil
            }
        }

        mutating func consume(_ line: ArraySlice<UInt8>) throws(SDPError) {
            guard line.count >= 2 else {
                throw SDPError(.malformedLine, field: "sdp", line.isEmpty ? "empty line" : "line too short")
            }
            let type = line[line.startIndex]
            guard line[line.startIndex + 1] == UInt8(ascii: "=") else {
                throw SDPError(.malformedLine, field: "sdp", "expected <type>=<value>")
            }
            let name = String(decoding: [type], as: UTF8.self)
            guard type >= UInt8(ascii: "a"), type <= UInt8(ascii: "z") else {
                throw SDPError(.malformedLine, field: "sdp", "line type must be a lower-case letter")
            }
            let raw = line[(line.startIndex + 2)...]
            guard !raw.contains(where: { $0 == 0 || $0 == 0x0D }),
                let value = String(validating: raw, as: UTF8.self)
            else { throw SDPError(.invalidText, field: name, "value is not UTF-8 text without NUL or CR") }

            if type == UInt8(ascii: "m") {
                try startMedia(value)
                return
            }
            if current != nil {
                guard let (rank, repeatable) = Self.mediaRank(type) else {
                    if Self.sessionRank(type) != nil {
                        throw SDPError(.lineOutOfOrder, field: name, "\(name)= is not allowed in an m-section")
                    }
                    throw SDPError(.unknownLineType, field: name, "unknown line type \(name)=")
                }
                try order(rank, repeatable, name)
                switch type {
                case UInt8(ascii: "i"): mTitle = value
                case UInt8(ascii: "c"): mConnections.append(try SDPConnection(parsing: value))
                case UInt8(ascii: "b"): mBandwidths.append(try SDPBandwidth(parsing: value))
                case UInt8(ascii: "k"): mKey = value
                default: mAttributes.append(try SDPAttribute(parsing: value))
                }
                return
            }
            guard let (rank, repeatable) = Self.sessionRank(type) else {
                throw SDPError(.unknownLineType, field: name, "unknown line type \(name)=")
            }
            if !sawVersion && type != UInt8(ascii: "v") {
                throw SDPError(.missingLine, field: "v", "the first line must be v=")
            }
            try order(rank, repeatable, name)
            switch type {
            case UInt8(ascii: "v"):
                guard value == "0" else { throw SDPError(.invalidNumber, field: "v", "version must be 0") }
                sawVersion = true
            case UInt8(ascii: "o"): origin = try SDPOrigin(parsing: value)
            case UInt8(ascii: "s"):
                guard !value.isEmpty else {
                    throw SDPError(.invalidField, field: "s", "session name must not be empty (use \"-\")")
                }
                sessionName = value
            case UInt8(ascii: "i"): information = value
            case UInt8(ascii: "u"): uri = value
            case UInt8(ascii: "e"): emails.append(value)
            case UInt8(ascii: "p"): phones.append(value)
            case UInt8(ascii: "c"): connection = try SDPConnection(parsing: value)
            case UInt8(ascii: "b"): bandwidths.append(try SDPBandwidth(parsing: value))
            case UInt8(ascii: "t"): timings.append(try SDPTiming(parsing: value))
            case UInt8(ascii: "r"):
                guard let last = timings.last else {
                    throw SDPError(.lineOutOfOrder, field: "r", "r= must follow a t= line")
                }
                timings[timings.count - 1] = last.adding(repeat: value)
            case UInt8(ascii: "z"): timeZones = value
            case UInt8(ascii: "k"): key = value
            default: attributes.append(try SDPAttribute(parsing: value))
            }
            lastType = type
        }

        mutating func order(_ rank: Int, _ repeatable: Bool, _ name: String) throws(SDPError) {
            if rank < lastRank || (rank == lastRank && !repeatable) {
                throw SDPError(.lineOutOfOrder, field: name, "\(name)= is out of order or repeated")
            }
            lastRank = rank
        }

        mutating func checkSession() throws(SDPError) {
            guard sawVersion else { throw SDPError(.missingLine, field: "v", "no v= line") }
            guard origin != nil else { throw SDPError(.missingLine, field: "o", "no o= line") }
            guard sessionName != nil else { throw SDPError(.missingLine, field: "s", "no s= line") }
            guard !timings.isEmpty else { throw SDPError(.missingLine, field: "t", "no t= line") }
        }

        mutating func startMedia(_ value: String) throws(SDPError) {
            if current == nil { try checkSession() }
            try closeMedia()
            guard media.count < SessionDescription.maximumMediaCount else {
                throw SDPError(.tooManyLines, field: "m", "more than \(SessionDescription.maximumMediaCount) m-sections")
            }
            current = try MediaDescription(parsingMediaLine: value)
            lastRank = 0
        }

        mutating func closeMedia() throws(SDPError) {
            guard let m = current else { return }
            media.append(
                m.with(
                    title: .some(mTitle), connections: mConnections, bandwidths: mBandwidths,
                    encryptionKey: .some(mKey), attributes: mAttributes))
            current = nil
            mTitle = nil
            mConnections = []
            mBandwidths = []
            mKey = nil
            mAttributes = []
        }

        mutating func finish() throws(SDPError) -> SessionDescription {
            if current == nil { try checkSession() }
            try closeMedia()
            guard let origin, let sessionName else { throw SDPError(.missingLine, field: "o", "no o= line") }
            return try SessionDescription(
                origin: origin, sessionName: sessionName, sessionInformation: information, uri: uri,
                emails: emails, phones: phones, connection: connection, bandwidths: bandwidths,
                timings: timings, timeZones: timeZones, encryptionKey: key, attributes: attributes, media: media)
        }
    }
}
