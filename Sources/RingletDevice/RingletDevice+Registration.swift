#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import RingletCall
import RingletCore
import RingletDTLS
import RingletSignaling

extension RingletDevice {

    /// Whether the device has credentials (registered with an SN ticket).
    public var isRegistered: Bool { gate.snapshot.credentials != nil }

    /// The credentials, once registered.
    public var credentials: DeviceCredentials? { gate.snapshot.credentials }

    /// Registers the device with an SN ticket (once; returns at once when already registered): makes the device
    /// key and DTLS certificate, registers the public key with the server, writes the credentials file.
    /// - Throws: `ticketInvalid` (-10008), `snTooLong`, `snCharacters`, `offline` (the server cannot be
    ///   reached), `storageFailed`, `identityMismatch` (the server registered the device under another model or
    ///   app than configured; the credentials are kept), `serverError`.
    public func register(ticket: String) async throws(DeviceError) {
        if isRegistered { return }
        guard !ticket.isEmpty, ticket.utf8.count <= 128 else {
            throw DeviceError(.ticketInvalid, "the SN ticket must be 1 to 128 bytes")
        }
        let key: DeviceKey
        do {
            key = try DeviceKey.generate()
        } catch {
            throw DeviceError(.storageFailed, "cannot make a device key: \(error.message)")
        }
        let certificate = try Self.makeCertificate()
        let body = try Self.json(["ticket": ticket, "publicKey": Base64URL.encode(key.publicKey)])
        let client = HTTPJSONClient(base: base, eventLoopGroup: eventLoopGroup,
                                    tlsConfiguration: configuration.tlsConfiguration)
        let response: HTTPJSONClient.Response
        do {
            response = try await client.request(.POST, "/v1/devices/\(configuration.sn)/register", json: body)
        } catch {
            throw DeviceError(.offline, "the server cannot be reached: \(error.message)", cause: .client(error))
        }
        guard response.status == 200 else { throw Self.registrationError(response) }
        guard let device = try? JSONDecoder().decode(RegisteredDevice.self, from: Data(response.body)),
              device.sn == configuration.sn else {
            throw DeviceError(.serverError, "the server's registration answer does not parse")
        }
        let credentials = DeviceCredentials(
            sn: device.sn, modelId: device.modelId, appId: device.appId, server: configuration.server, deviceKey: key,
            dtlsCertificate: certificate, registeredAt: Int64(Date().timeIntervalSince1970 * 1000))
        try credentialsFile.write(credentials)
        await onLoop { $0.registered(credentials, certificate: certificate) }
        try Self.checkIdentity(credentials, configuration)
    }

    private struct RegisteredDevice: Decodable {
        let sn: String
        let modelId: String
        let appId: String
    }

    private struct APIErrorBody: Decodable {
        struct Inner: Decodable {
            let code: String
            let message: String
            let seedCode: Int32?
        }
        let error: Inner
    }

    private static func registrationError(_ response: HTTPJSONClient.Response) -> DeviceError {
        guard let body = try? JSONDecoder().decode(APIErrorBody.self, from: Data(response.body)) else {
            return DeviceError(.serverError, "registration failed with HTTP \(response.status)")
        }
        let seed = body.error.seedCode.map(SeedCode.init(rawValue:))
        switch seed {
        case .ticketInvalid?: return DeviceError(.ticketInvalid, seedCode: seed, body.error.message)
        case .snTooLong?: return DeviceError(.snTooLong, seedCode: seed, body.error.message)
        case .snBadCharacters?: return DeviceError(.snCharacters, seedCode: seed, body.error.message)
        case let s?: return DeviceError(.refused, seedCode: s, body.error.message)
        case nil: return DeviceError(.serverError, "registration failed (\(body.error.code)): \(body.error.message)")
        }
    }

    static func checkIdentity(_ c: DeviceCredentials, _ configuration: DeviceConfiguration) throws(DeviceError) {
        guard c.sn == configuration.sn else {
            throw DeviceError(.identityMismatch, "the credentials are for another SN")
        }
        if let model = configuration.modelId, model != c.modelId {
            throw DeviceError(.identityMismatch, "the credentials are for model \(c.modelId), not \(model)")
        }
        if let app = configuration.appId, app != c.appId {
            throw DeviceError(.identityMismatch, "the credentials are for another app")
        }
    }

    static func makeCertificate() throws(DeviceError) -> DTLSCertificate {
        var rng = SystemRandomNumberGenerator()
        do {
            return try DTLSCertificate(unixTime: Int64(Date().timeIntervalSince1970), using: &rng)
        } catch {
            throw DeviceError(.storageFailed, "cannot make a DTLS certificate: \(error)")
        }
    }

    private static func json(_ object: [String: String]) throws(DeviceError) -> [UInt8] {
        guard let data = try? JSONEncoder().encode(object) else {
            throw DeviceError(.invalidArgument, "the request does not encode")
        }
        return [UInt8](data)
    }
}
