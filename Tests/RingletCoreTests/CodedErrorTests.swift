import Testing
import RingletCore

/// A domain of this test's own, as a module declares one.
enum SampleErrors: CodedErrorDomain {
    static let name = "Sample"
}

extension CodedError.Code where Domain == SampleErrors {
    static var truncated: Self { Self("truncated") }
}

/// Another domain with a code of the same name: codes of different modules never mix.
enum OtherErrors: CodedErrorDomain {
    static let name = "Other"
}

extension CodedError.Code where Domain == OtherErrors {
    static var truncated: Self { Self("truncated") }
}

@Suite("One coded error shape")
struct CodedErrorTests {
    @Test("The description names the module, code, field, offset, message and cause; absent parts are left out")
    func description() {
        let cause = CodedError<OtherErrors>(.truncated, field: "header", offset: 3, "2 bytes, need 4")
        let error = CodedError<SampleErrors>(.truncated, field: "body", offset: 20, "header unreadable",
                                             underlying: cause)
        #expect(error.description
            == "Sample truncated at body (offset 20): header unreadable (Other truncated at header (offset 3): 2 bytes, need 4)")
        #expect(CodedError<SampleErrors>(.truncated, field: "body").description == "Sample truncated at body")
        #expect(CodedError<SampleErrors>(.truncated, "no field named").description == "Sample truncated: no field named")
    }

    @Test("The cause is kept typed, and equality compares code, field, offset and message but not the cause")
    func underlying() {
        let cause = CodedError<OtherErrors>(.truncated, field: "header", "short")
        let error = CodedError<SampleErrors>(.truncated, field: "body", "short", underlying: cause)
        #expect((error.underlying as? CodedError<OtherErrors>) == cause)
        #expect(error.underlying is CodedError<SampleErrors> == false)
        #expect(error == CodedError<SampleErrors>(.truncated, field: "body", "short"))
        #expect(error != CodedError<SampleErrors>(.truncated, field: "body", offset: 1, "short"))
        #expect(Set([error, CodedError<SampleErrors>(.truncated, field: "body", "short")]).count == 1)
    }

    @Test("at(offset:) moves an error and keeps everything else")
    func moved() {
        let cause = CodedError<OtherErrors>(.truncated, field: "x")
        let error = CodedError<SampleErrors>(.truncated, field: "value", offset: 2, "bad", underlying: cause)
        let moved = error.at(offset: 30)
        #expect(moved.offset == 30 && moved.code == error.code && moved.field == "value" && moved.message == "bad")
        #expect(moved.underlying is CodedError<OtherErrors>)
    }
}
