import COpenSSL

/// Small helpers around OpenSSL's thread-local error queue and memory BIOs.
enum OpenSSLSupport {
    /// The oldest queued OpenSSL error as text, clearing the queue; "" when the queue is empty.
    static func takeErrorString() -> String {
        let code = ringlet_ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "" }
        var buffer = [CChar](repeating: 0, count: 256)
        return buffer.withUnsafeMutableBufferPointer { p -> String in
            guard let base = p.baseAddress else { return "" }
            ERR_error_string_n(code, base, p.count)
            return String(cString: base)
        }
    }

    /// Everything pending in a memory BIO, removed from it.
    static func drain(_ bio: OpaquePointer, into out: inout [UInt8]) {
        let pending = Int(ringlet_BIO_ctrl_pending(bio))
        guard pending > 0 else { return }
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: pending))
        let read = out.withUnsafeMutableBufferPointer { p -> Int32 in
            guard let base = p.baseAddress else { return 0 }
            return BIO_read(bio, base + start, Int32(truncatingIfNeeded: pending))
        }
        out.removeLast(pending - max(0, min(pending, Int(read))))
    }

    /// The text of a memory BIO (PEM output).
    static func string(of bio: OpaquePointer) -> String {
        var bytes: [UInt8] = []
        drain(bio, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
