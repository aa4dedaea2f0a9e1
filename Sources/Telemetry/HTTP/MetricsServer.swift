import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import Logging
import OpsCore

/// The daemon's HTTP endpoints (Hummingbird 2):
/// - `GET /metrics`: the Prometheus exposition, text format 0.0.4; with a token, only for
///   `Authorization: Bearer <token>` (401 otherwise).
/// - `GET /healthz`: 200 while the process runs (liveness).
/// - `GET /readyz`: 200 when PostgreSQL and the Redis server are reachable, else 503, with the
///   `application/health+json` body of `health --json` (readiness), from a state refreshed at most
///   once a second (``ReadinessCache``).
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

    /// Limits of the HTTP side (issue 14): idle connections could otherwise exhaust the daemon's file
    /// descriptors and starve the jobs.
    package struct Limits: Sendable {
        /// A connection with no request in progress (idle keep-alive, or headers never finished) is
        /// closed after this long.
        package var idleTimeout: Duration = .seconds(60)
        /// Connections accepted at once; further ones wait in the listen backlog.
        package var maxConnections: Int = 256

        package init(idleTimeout: Duration = .seconds(60), maxConnections: Int = 256) {
            self.idleTimeout = idleTimeout
            self.maxConnections = maxConnections
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
    ///   - limits: idle timeout and connection limit.
    ///   - onListening: called with the bound port (useful with port 0).
    package static func service(address: ListenAddress, token: String?, collector: MetricsCollector,
                               readiness: @escaping @Sendable () async -> Readiness, logger: Logger,
                               limits: Limits = Limits(),
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
        let cachedReadiness = ReadinessCache(check: readiness)
        router.get("/readyz") { _, _ -> Response in
            let result = await cachedReadiness.current()
            return Response(status: result.ready ? .ok : .serviceUnavailable, headers: [.contentType: "application/health+json"],
                             body: .init(byteBuffer: ByteBuffer(string: result.body + "\n")))
        }
        return Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: TimeAmount.nanoseconds(limits.idleTimeout.components.seconds * 1_000_000_000 + limits.idleTimeout.components.attoseconds / 1_000_000_000))),
            configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port), serverName: nil,
                                                    availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: logger)),
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
