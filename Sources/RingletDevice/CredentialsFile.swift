#if canImport(Glibc)
import Glibc
#endif
import RingletCore

/// The credentials file on disk, written so that a power cut or a kill at any moment leaves either the old file
/// or the new one whole (DESIGN.md): the bytes go to a temporary file in the same folder, which is fsynced,
/// renamed over the old file, and the folder is fsynced. Mode 0600 (the file holds private keys).
public struct CredentialsFile: Sendable {
    /// The data folder.
    public let folder: String

    /// The file in `folder`.
    public init(folder: String) { self.folder = folder }

    /// The file's path.
    public var path: String { folder + "/" + DeviceCredentials.fileName }

    /// Whether a credentials file exists.
    public var exists: Bool { access(path, F_OK) == 0 }

    /// Reads and parses the file; nil when there is none.
    /// - Throws: `credentialsCorrupt` for a file that does not parse; `storageFailed` when it cannot be read.
    public func read() throws(DeviceError) -> DeviceCredentials? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw DeviceError(.storageFailed, "cannot open the credentials file (errno \(errno))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= DeviceCredentials.maximumSize {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw DeviceError(.storageFailed, "cannot read the credentials file (errno \(errno))")
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return try DeviceCredentials(decoding: bytes)
    }

    /// Writes `credentials` atomically (see the type); the folder is created when missing.
    /// - Throws: `storageFailed` (size over the limit, or a file system error; the old file is then untouched).
    public func write(_ credentials: DeviceCredentials) throws(DeviceError) {
        let bytes = try credentials.encoded()
        try makeFolder()
        removeStaleTemporaries()
        var suffix = SystemRandomNumberGenerator()
        let temporary = "\(folder)/.\(DeviceCredentials.fileName).\(getpid()).\(suffix.next() % 1_000_000).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DeviceError(.storageFailed, "cannot create a temporary file (errno \(errno))") }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            var written = 0
            while written < bytes.count {
                let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw DeviceError(.storageFailed, "cannot write the credentials (errno \(errno))")
                }
                written += n
            }
            guard fsync(fd) == 0 else { throw DeviceError(.storageFailed, "fsync failed (errno \(errno))") }
        }
        guard rename(temporary, path) == 0 else {
            throw DeviceError(.storageFailed, "cannot replace the credentials file (errno \(errno))")
        }
        ok = true
        let dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            _ = fsync(dir)
            close(dir)
        }
    }

    /// Deletes the credentials file (to re-bind the device).
    public func remove() {
        unlink(path)
    }

    private func makeFolder() throws(DeviceError) {
        var st = stat()
        if stat(folder, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFDIR else {
                throw DeviceError(.storageFailed, "the data path is not a folder")
            }
            return
        }
        guard mkdir(folder, 0o700) == 0 || errno == EEXIST else {
            throw DeviceError(.storageFailed, "cannot create the data folder (errno \(errno))")
        }
    }

    /// Temporary files a killed writer left behind.
    private func removeStaleTemporaries() {
        guard let dir = opendir(folder) else { return }
        defer { closedir(dir) }
        let prefix = ".\(DeviceCredentials.fileName)."
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name.hasPrefix(prefix), name.hasSuffix(".tmp") { unlink(folder + "/" + name) }
        }
    }
}
