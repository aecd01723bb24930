#if canImport(Glibc)
import Glibc
#endif

/// Gives back the program's clean file pages once start-up is over (Linux).
///
/// Starting a device runs much code once: parsing the configuration, loading the credentials and the key, the
/// Swift runtime's first type lookups, the first connection. The kernel maps 64 KB around every first touch of a
/// file page (fault-around), so after start-up most of the program's code and read-only data is resident although an
/// idle device runs little of it. ``release()`` asks the kernel to reclaim the resident pages of every private file
/// mapping — code, read-only data, and the data the program has not written (`madvise(MADV_PAGEOUT)`, Linux 5.4):
/// clean pages are dropped, not written anywhere (pages the program wrote are its own copies, which stay without
/// swap), and what the device runs afterwards (the event loop, pings, a call) comes back on its next touch. The mappings are marked
/// `MADV_RANDOM` first, so a page touched again is read alone: a read-ahead window may come back as one large folio
/// (ext4 on Linux 6.16 and later), which a fault may map whole (a precaution: not measured to matter). Pages other
/// processes map too (libc) stay. Nothing but residency changes: no data is touched, and a kernel without
/// `MADV_PAGEOUT` refuses (a no-op).
///
/// The process decides, not the SDK: it affects every mapping of the process, so the device's program calls it when
/// its own start-up is done (`ringlet device` does once it is online; `--keep-startup-pages` turns that off).
public enum StartupPages {
    /// What ``release()`` did.
    public struct Outcome: Sendable, Equatable {
        /// Private file mappings the kernel was asked to reclaim.
        public var mappings = 0
        /// Their total size in bytes (mapped, not necessarily resident before).
        public var bytes = 0
        /// Mappings the kernel refused (an old kernel: every one).
        public var refused = 0
    }

    /// The private file mappings of `maps` (the text of `/proc/self/maps`): start, length and path of each line
    /// whose permissions end in `p` (private; shared mappings are left alone) and whose path is a file (starts
    /// with `/`).
    public static func privateFileMappings(_ maps: String) -> [(start: UInt, length: UInt, path: String)] {
        var out: [(start: UInt, length: UInt, path: String)] = []
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[5].hasPrefix("/"), fields[1].count == 4, fields[1].hasSuffix("p") else {
                continue
            }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16),
                  end > start else { continue }
            out.append((start, end - start, fields[5...].joined(separator: " ")))
        }
        return out
    }

    /// Asks the kernel to reclaim the clean resident pages of this process's private file mappings (those whose
    /// file path `include` accepts: all by default), and to read them back one page at a time when touched.
    @discardableResult
    public static func release(where include: (String) -> Bool = { _ in true }) -> Outcome {
        var outcome = Outcome()
        #if os(Linux)
        guard let maps = readProcFile("/proc/self/maps") else { return outcome }
        for m in privateFileMappings(maps) where include(m.path) {
            outcome.mappings += 1
            outcome.bytes += Int(m.length)
            let address = UnsafeMutableRawPointer(bitPattern: m.start)
            // Random access first: a page touched again is read alone, not with a read-ahead window (which the
            // page cache may keep as one large folio, mapped whole on the next touch).
            _ = madvise(address, Int(m.length), MADV_RANDOM)
            if madvise(address, Int(m.length), pageOut) != 0 { outcome.refused += 1 }
        }
        #endif
        return outcome
    }

    #if os(Linux)
    /// `MADV_PAGEOUT` (linux/mman.h: 21).
    private static let pageOut: Int32 = 21

    /// A procfs file read to its end (procfs reports size 0, so no sized read).
    private static func readProcFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > 4 << 20 { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
    #endif
}
