import OpsCore
import OpsSupport

/// The daemon's `/readyz` answer: ready when both stores answer (only PostgreSQL without a Redis URL),
/// with `health --json` as the body.
package struct Readiness: Sendable {
    package var ready: Bool
    /// `application/health+json`.
    package var body: String

    package static func check(_ configuration: OpsConfiguration) async -> Readiness {
        let report = await HealthJob().check(configuration)
        let broken = report.checks.contains { ($0.key.hasSuffix(":connection") || $0.key.hasSuffix(":configuration")) && $0.status == .fail }
        return Readiness(ready: !broken, body: report.json.jsonString())
    }
}
