import Foundation
import Glibc
import RingletDevice
import RingletTestSupport
import Testing

@Suite("Start-up pages given back to the kernel")
struct StartupPagesTests {
    @Test("only private mappings of files are picked from /proc/self/maps")
    func parsing() {
        let maps = """
        00400000-01c3c000 r-xp 00000000 fe:00 1234                               /opt/dev/ringlet-device
        01c3d000-01ceb000 r--p 0183c000 fe:00 1234                               /opt/dev/ringlet-device
        01ceb000-01fd2000 rw-p 018ea000 fe:00 1234                               /opt/dev/ringlet-device
        02000000-02100000 rw-p 00000000 00:00 0                                  [heap]
        7f0000000000-7f0000021000 rw-p 00000000 00:00 0
        7f1000000000-7f1000001000 r--p 00000000 fe:00 99                         /lib/with space.so
        7f2000000000-7f2000004000 rw-s 00000000 00:05 7                          /dev/shm/shared
        7ffd0000-7ffd1000 r-xp 00000000 00:00 0                                  [vdso]
        zz-7ffd1000 r--p 00000000 fe:00 1                                        /bad/start
        7ffd2000-7ffd1000 r--p 00000000 fe:00 1                                  /bad/end-before-start
        """
        let picked = StartupPages.privateFileMappings(maps)
        #expect(picked.map(\.start) == [0x400000, 0x1c3d000, 0x1ceb000, 0x7f1000000000])
        let lengths: [UInt] = [0x183c000, 0xae000, 0x2e7000, 0x1000]  // end − start of each picked line
        #expect(picked.map(\.length) == lengths)
        #expect(picked.map(\.path) == [String](repeating: "/opt/dev/ringlet-device", count: 3) + ["/lib/with space.so"])
    }

    @Test("a mapped file's resident pages are reclaimed; its bytes read back the same")
    func releasesAMapping() throws {
        let folder = try temporaryFolder(prefix: "ringlet-startup-pages")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("pages.bin")
        var rng = SystemRandomNumberGenerator()
        let size = 4 << 20
        let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
        try Data(bytes).write(to: file)
        let fd = open(file.path, O_RDONLY)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(fsync(fd) == 0)  // clean pages: the kernel reclaims those without writing
        let mapped = try #require(mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0))
        #expect(mapped != MAP_FAILED)
        defer { munmap(mapped, size) }
        let view = mapped.bindMemory(to: UInt8.self, capacity: size)
        var sum = 0
        for i in stride(from: 0, to: size, by: 4096) { sum &+= Int(view[i]) }  // make every page resident
        let before = try residentKB(of: file.path)
        #expect(before >= 4 * 1024 - 64, "resident before: \(before) KB")

        let outcome = StartupPages.release { $0 == file.path }
        #expect(outcome.mappings == 1 && outcome.bytes == size && outcome.refused == 0)
        let after = try residentKB(of: file.path)
        #expect(after < before / 4, "resident after release: \(after) KB, before \(before) KB")
        #expect(Array(UnsafeBufferPointer(start: view, count: size)) == bytes)
        #expect(sum == stride(from: 0, to: size, by: 4096).reduce(0) { $0 &+ Int(bytes[$1]) }, "the mapping read the file")
    }

    @Test("in a private writable mapping, what the process wrote survives a release; the rest reads back the file")
    func keepsWrittenPages() throws {
        let folder = try temporaryFolder(prefix: "ringlet-startup-pages-w")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("data.bin")
        let size = 1 << 20
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try Data(bytes).write(to: file)
        let fd = open(file.path, O_RDONLY)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(fsync(fd) == 0)
        let mapped = try #require(mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0))
        #expect(mapped != MAP_FAILED)
        defer { munmap(mapped, size) }
        let view = mapped.bindMemory(to: UInt8.self, capacity: size)
        var expected = bytes
        for page in stride(from: 0, to: size, by: 8 * 4096) {  // write one page in eight: private copies
            for i in page..<(page + 100) {
                view[i] = ~view[i]
                expected[i] = ~expected[i]
            }
        }
        let outcome = StartupPages.release { $0 == file.path }
        #expect(outcome.mappings == 1 && outcome.refused == 0)
        #expect(Array(UnsafeBufferPointer(start: view, count: size)) == expected)
        #expect(try Data(contentsOf: file) == Data(bytes), "the file itself is unchanged")
    }

    /// The resident KB of this process's mappings of `path` (/proc/self/smaps).
    private func residentKB(of path: String) throws -> Int {
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let text = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var total = 0
        var inFile = false
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), !first.hasSuffix(":"), fields.count >= 5 {
                inFile = fields.count >= 6 && fields[5...].joined(separator: " ") == path
            } else if inFile, fields.first == "Rss:", fields.count >= 2 {
                total += Int(fields[1]) ?? 0
            }
        }
        return total
    }
}
