import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the TLS certificate and key on SIGHUP (docs/deploy.md, "Renewing the certificate"): new connections
/// get the new certificate, open ones — calls, signaling sessions, TURN allocations — keep theirs. A file that
/// does not load (missing, expired, a key of another certificate) is logged and the current one kept.
struct TLSReloadService: Service {
    let store: TLSContextStore
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            switch store.reload() {
            case .success(let certificate):
                logger.notice("TLS certificate reloaded", metadata: [
                    "file": "\(store.certificateFile)",
                    "notValidAfter": "\(ServerCertificate.format(certificate.notValidAfter))",
                ])
            case .failure(let error):
                logger.error("TLS certificate not reloaded, the current one stays: \(error.message)")
            }
        }
    }
}
