import Foundation
import Hummingbird
import Logging
import OpsCore

/// The daemon's HTTP endpoints (Hummingbird 2):
/// - `GET /metrics`: the Prometheus exposition, text format 0.0.4; with a token, only for
///   `Authorization: Bearer <token>` (401 otherwise).
/// - `GET /healthz`: 200 while the process runs (liveness).
/// - `GET /readyz`: 200 when PostgreSQL and the Redis server are reachable, else 503, with the
///   `application/health+json` body of `health --json` (readiness).
package enum MetricsServer {
    /// Readiness as the executable computes it (this module does not know the health checks).
    package struct Readiness: Sendable {
        package var ready: Bool
        /// `application/health+json`.
        package var body: String

        package init(ready: Bool, body: String) {
            self.ready = ready
            self.body = body
        }
    }

    /// The exposition's content type (text format 0.0.4).
    package static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The HTTP server; an `ApplicationProtocol` is a swift-service-lifecycle `Service` for a `ServiceGroup`.
    ///
    /// - Parameters:
    ///   - address: where to listen.
    ///   - token: when set, `/metrics` needs `Authorization: Bearer <token>`.
    ///   - collector: serves the exposition.
    ///   - readiness: checks both stores, for `/readyz`.
    ///   - logger: the server's logger.
    ///   - onListening: called with the bound port (useful with port 0).
    package static func service(address: ListenAddress, token: String?, collector: MetricsCollector,
                               readiness: @escaping @Sendable () async -> Readiness, logger: Logger,
                               onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        let expected = token.flatMap { $0.isEmpty ? nil : Array("Bearer \($0)".utf8) }
        router.get("/metrics") { request, _ -> Response in
            if let expected, !constantTimeEquals(Array((request.headers[.authorization] ?? "").utf8), expected) {
                return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer realm=\"auto-i18n-ops\"", .contentType: "text/plain"],
                                body: .init(byteBuffer: ByteBuffer(string: "unauthorized: /metrics needs Authorization: Bearer <METRICS_TOKEN>\n")))
            }
            let bytes = await collector.exposition()
            return Response(status: .ok, headers: [.contentType: metricsContentType], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        router.get("/healthz") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/readyz") { _, _ -> Response in
            let result = await readiness()
            return Response(status: result.ready ? .ok : .serviceUnavailable, headers: [.contentType: "application/health+json"],
                             body: .init(byteBuffer: ByteBuffer(string: result.body + "\n")))
        }
        return Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? address.port
                logger.notice("listening on http://\(ListenAddress(host: address.host, port: port))/metrics")
                await onListening(port)
            },
            logger: logger)
    }

    /// Compares without returning early, so response timing does not reveal how much of a token matched.
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        for index in 0..<rhs.count { difference |= (index < lhs.count ? lhs[index] : 0) ^ rhs[index] }
        return difference == 0
    }
}
