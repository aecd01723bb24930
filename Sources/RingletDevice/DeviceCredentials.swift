#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import RingletCore
import RingletDTLS
import RingletSignaling

/// What a registered device keeps in its data folder (DESIGN.md: the credentials file): its identity, the
/// server it registered with, its device key (P-256, PKCS#8 DER) and its DTLS certificate (made once, reused by
/// every call). Serialized as one JSON object of at most ``maximumSize`` bytes.
public struct DeviceCredentials: Codable, Hashable, Sendable {
    /// The largest file the SDK writes (the seed's 8 KB key file).
    public static let maximumSize = 8192
    /// The file's name in the data folder.
    public static let fileName = "ringlet-credentials.json"

    /// The format version (1).
    public var version = 1
    /// The device's SN.
    public var sn: String
    /// Its model.
    public var modelId: String
    /// Its app.
    public var appId: String
    /// The server it registered with (`http://…`).
    public var server: String
    /// The device key, PKCS#8 DER, base64url.
    public var deviceKey: String
    /// The DTLS certificate and its key, PEM.
    public var dtlsCertificate: String
    /// When the device registered (Unix ms).
    public var registeredAt: Int64
    /// How many times this file was written (1 for the first).
    public var generation: Int64 = 1

    /// Makes credentials.
    public init(sn: String, modelId: String, appId: String, server: String, deviceKey: DeviceKey,
                dtlsCertificate: DTLSCertificate, registeredAt: Int64) {
        self.sn = sn
        self.modelId = modelId
        self.appId = appId
        self.server = server
        self.deviceKey = Base64URL.encode(deviceKey.privateKeyDER)
        self.dtlsCertificate = dtlsCertificate.pem.value
        self.registeredAt = registeredAt
    }

    /// The device key.
    /// - Throws: `credentialsCorrupt` when it does not decode.
    public func key() throws(DeviceError) -> DeviceKey {
        guard let der = Base64URL.decode(deviceKey) else {
            throw DeviceError(.credentialsCorrupt, "the device key is not base64url")
        }
        do {
            return try DeviceKey(privateKeyDER: der)
        } catch {
            throw DeviceError(.credentialsCorrupt, "the device key does not load: \(error.message)")
        }
    }

    /// The DTLS certificate.
    /// - Throws: `credentialsCorrupt` when it does not load.
    public func certificate() throws(DeviceError) -> DTLSCertificate {
        do {
            return try DTLSCertificate(pem: dtlsCertificate)
        } catch {
            throw DeviceError(.credentialsCorrupt, "the DTLS certificate does not load: \(error)")
        }
    }

    /// The file's bytes (sorted keys).
    /// - Throws: `storageFailed` above ``maximumSize``.
    public func encoded() throws(DeviceError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(self) else {
            throw DeviceError(.storageFailed, "the credentials do not encode")
        }
        guard data.count <= Self.maximumSize else {
            throw DeviceError(.storageFailed, "the credentials are \(data.count) bytes, over \(Self.maximumSize)")
        }
        return [UInt8](data)
    }

    /// Reads the file's bytes.
    /// - Throws: `credentialsCorrupt` for anything but a whole version-1 file within the size limit.
    public init(decoding bytes: [UInt8]) throws(DeviceError) {
        guard bytes.count <= Self.maximumSize else {
            throw DeviceError(.credentialsCorrupt, "the credentials file is larger than \(Self.maximumSize) bytes")
        }
        do {
            self = try JSONDecoder().decode(DeviceCredentials.self, from: Data(bytes))
        } catch {
            throw DeviceError(.credentialsCorrupt, "the credentials file does not parse")
        }
        guard version == 1 else { throw DeviceError(.credentialsCorrupt, "unknown credentials version \(version)") }
    }
}
