import RingletCore
import Testing
@testable import RingletRTP

@Suite("RTP header extensions (RFC 8285)")
struct RTPHeaderExtensionTests {
    @Test("One-byte elements are read and padding bytes skipped")
    func oneByte() throws {
        let ext = try #require(try RTPPacket(parsing: Vectors.datagram("rtp-one-byte-extension")).headerExtension)
        #expect(ext.form == .oneByte)
        #expect(ext.elements.map(\.id) == [1, 3])
        #expect(ext.elements.map { Array($0.data) } == [[0xAB], [0x00, 0x05]])
        #expect(ext.element(id: 3).map(Array.init) == [0x00, 0x05])
        #expect(ext.element(id: 4) == nil)
    }

    @Test("Two-byte elements, empty ones included, are read with the appbits")
    func twoByte() throws {
        let ext = try #require(try RTPPacket(parsing: Vectors.datagram("rtp-two-byte-extension")).headerExtension)
        #expect(ext.form == .twoByte(appBits: 5))
        #expect(ext.elements.map(\.id) == [20, 255])
        #expect(ext.elements.map { Array($0.data) } == [[], Array("abc".utf8)])
    }

    @Test("Id 15 stops parsing of a one-byte extension")
    func id15() throws {
        let ext = try #require(try RTPPacket(parsing: Vectors.datagram("rtp-one-byte-id15")).headerExtension)
        #expect(ext.elements == [.init(id: 2, data: [0xAA, 0xBB, 0xCC])])
    }

    @Test("An extension of another profile is kept raw, with no elements")
    func otherProfile() throws {
        let ext = try #require(try RTPPacket(parsing: Vectors.datagram("rtp-other-profile")).headerExtension)
        #expect(ext.form == .other(profile: 0xABAC))
        #expect(ext.elements.isEmpty)
        #expect(Array(ext.data) == [1, 2, 3, 4])
    }

    @Test("Building picks the one-byte form when every element fits it")
    func picksOneByte() throws {
        let ext = try RTPHeaderExtension(elements: [.init(id: 14, data: [UInt8](repeating: 7, count: 16))])
        #expect(ext.form == .oneByte)
        #expect(ext.data.count == 20)
    }

    @Test("Building falls back to the two-byte form", arguments: [
        RTPHeaderExtension.Element(id: 15, data: [1]),
        RTPHeaderExtension.Element(id: 1, data: []),
        RTPHeaderExtension.Element(id: 1, data: [UInt8](repeating: 0, count: 17)),
    ])
    func picksTwoByte(element: RTPHeaderExtension.Element) throws {
        let ext = try RTPHeaderExtension(elements: [element])
        #expect(ext.form == .twoByte(appBits: 0))
        #expect(ext.elements == [element])
    }

    @Test("Building in a form that cannot hold an element is refused")
    func refuses() {
        #expect(throws: RTPError.self) { try RTPHeaderExtension(elements: [.init(id: 15, data: [1])], form: .oneByte) }
        #expect(throws: RTPError.self) { try RTPHeaderExtension(elements: [.init(id: 0, data: [1])], form: .twoByte(appBits: 0)) }
        #expect(throws: RTPError.self) { try RTPHeaderExtension(elements: [], form: .twoByte(appBits: 16)) }
        #expect(throws: RTPError.self) { try RTPHeaderExtension(elements: [], form: .other(profile: 1)) }
        #expect(throws: RTPError.self) { try RTPHeaderExtension(profile: 1, data: [1, 2, 3]) }
    }

    @Test("Elements rebuilt in the parsed form give the parsed bytes", arguments: ["rtp-one-byte-extension", "rtp-two-byte-extension"])
    func rebuild(file: String) throws {
        let ext = try #require(try RTPPacket(parsing: Vectors.datagram(file)).headerExtension)
        let rebuilt = try RTPHeaderExtension(elements: ext.elements, form: ext.form)
        #expect(rebuilt == ext)
    }
}
