import Foundation
import OpsCore
import OpsSupport

/// `pass`, `warn` or `fail`, as in the `application/health+json` draft.
package enum HealthStatus: String, Sendable, Codable, Comparable {
    case pass, warn, fail

    private var rank: Int { self == .pass ? 0 : self == .warn ? 1 : 2 }
    package static func < (lhs: HealthStatus, rhs: HealthStatus) -> Bool { lhs.rank < rhs.rank }
}

/// One measured fact about a store, keyed `component:measurement` (e.g. `postgres:responseTime`).
package struct HealthCheck: Sendable {
    package let key: String
    package let componentType: String
    package let status: HealthStatus
    package let observedValue: JSONValue?
    package let observedUnit: String?
    /// Why it warns or fails, or extra context; free of secrets.
    package let output: String?

    package init(key: String, componentType: String, status: HealthStatus = .pass, observedValue: JSONValue? = nil,
                observedUnit: String? = nil, output: String? = nil) {
        self.key = key
        self.componentType = componentType
        self.status = status
        self.observedValue = observedValue
        self.observedUnit = observedUnit
        self.output = output
    }
}

/// The result of `health`: every check, and the worst status among them.
package struct HealthReport: Sendable {
    package let checks: [HealthCheck]
    package let time: Date

    package init(checks: [HealthCheck], time: Date = Date()) {
        self.checks = checks
        self.time = time
    }

    package var status: HealthStatus { checks.map(\.status).max() ?? .pass }

    /// The stores that could not be reached, e.g. `["postgres"]`.
    package var unreachable: [HealthCheck] { checks.filter { $0.key.hasSuffix(":connection") && $0.status == .fail } }

    /// `application/health+json` (draft-inadarei-api-health-check).
    package var json: JSONValue {
        var grouped: [String: JSONValue] = [:]
        let stamp = ISO8601DateFormatter().string(from: time)
        for check in checks {
            var object: [String: JSONValue] = [
                "componentType": .string(check.componentType),
                "status": .string(check.status.rawValue),
                "time": .string(stamp),
            ]
            if let value = check.observedValue { object["observedValue"] = value }
            if let unit = check.observedUnit { object["observedUnit"] = .string(unit) }
            if let output = check.output { object["output"] = .string(output) }
            var existing: [JSONValue] = []
            if case .array(let items)? = grouped[check.key] { existing = items }
            grouped[check.key] = .array(existing + [.object(object)])
        }
        var root: [String: JSONValue] = [
            "status": .string(status.rawValue),
            "serviceId": "auto-i18n-ops",
            "description": "health of PostgreSQL and the Redis-compatible cache (DragonflyDB)",
            "checks": .object(grouped),
        ]
        let problems = checks.filter { $0.status != .pass }.compactMap { check in check.output.map { "\(check.key): \($0)" } }
        if !problems.isEmpty { root["output"] = .string(problems.joined(separator: "; ")) }
        return .object(root)
    }

    /// A readable table: check, status, value, note.
    package var table: String { table(now: Date()) }

    /// The table with ages measured from `now` (`last snapshot 3 min ago`), sizes in binary units and
    /// durations in words, as a person reads them; `--json` keeps the raw values.
    package func table(now: Date) -> String {
        let rows = checks.map { check -> [String] in
            let value: String
            switch (check.observedValue, check.observedUnit) {
            case (.int(let bytes)?, let unit?) where unit == "bytes" || unit.hasPrefix("bytes "):
                return [check.key, check.status.rawValue.uppercased(), ByteCount.format(bytes) + unit.dropFirst(5), check.output ?? ""]
            case (.int(let seconds)?, "unix time"?):
                let age = max(0, now.timeIntervalSince1970 - Double(seconds))
                return [check.key, check.status.rawValue.uppercased(), "\(DurationText.format(seconds: age)) ago", check.output ?? ""]
            case (.double(let seconds)?, "s"?):
                return [check.key, check.status.rawValue.uppercased(), DurationText.format(seconds: seconds), check.output ?? ""]
            default: break
            }
            switch check.observedValue {
            case .none: value = ""
            case .string(let text)?: value = text
            case .int(let number)?: value = String(number)
            case .double(let number)?: value = String(format: "%.2f", number)
            case .bool(let flag)?: value = String(flag)
            case let other?: value = other.jsonString()
            }
            return [check.key, check.status.rawValue.uppercased(), value + (check.observedUnit.map { " \($0)" } ?? ""), check.output ?? ""]
        }
        let header = ["CHECK", "STATUS", "VALUE", "NOTE"]
        let widths = (0..<3).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            (0..<3).map { cells[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                + "  " + cells[3]
        }
        return ([line(header)] + rows.map(line)).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
            + "\nstatus: \(status.rawValue)\n"
    }
}
