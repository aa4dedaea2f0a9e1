import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import OpsSupport

/// `NOTIFY_WEBHOOK_URL`: a JSON POST when a job fails and when it recovers (its previous finished run
/// failed), as pgBackRest users otherwise wrap the tool to get.
///
/// Delivery happens after the run is recorded, so it never delays or changes the job; it is retried with
/// backoff (4 attempts, 0.5 s doubling, 5 s per request, so at most about 25 s) and then given up with
/// one warning. The URL is never logged (it may hold a token): messages name its host only. The payload
/// holds the run's one-line error, which, like every error here, carries no password.
package struct WebhookNotifier: Sendable {
    package enum Event: String, Sendable {
        case failed, recovered
    }

    package let url: URL
    package var attempts = 4
    package var requestTimeout: Duration = .seconds(5)
    package var firstBackoff: Duration = .milliseconds(500)

    package init(url: URL) {
        self.url = url
    }

    /// The event a finished run calls for, given the status of the job's previous finished run.
    package static func event(status: JobRunStatus, previous: JobRunStatus?) -> Event? {
        switch status {
        case .failed: return .failed
        case .succeeded, .warning: return previous == .failed || previous == .interrupted ? .recovered : nil
        case .running, .skipped, .interrupted: return nil
        }
    }

    /// The JSON body: snake_case keys, as the job summaries.
    package static func payload(_ event: Event, report: JobRunner.Report, trigger: JobTrigger, host: String) -> JSONValue {
        var object: [String: JSONValue] = [
            "event": .string(event.rawValue),
            "job": .string(report.job),
            "status": .string(report.status.rawValue),
            "trigger": .string(trigger.rawValue),
            "host": .string(host),
            "started_at": .string(report.startedAt.formatted(.iso8601)),
            "duration_seconds": .double(report.duration.inSeconds),
        ]
        if let id = report.runID { object["run_id"] = .int(id) }
        if let error = report.error { object["error"] = .string(String(describing: error)) }
        return .object(object)
    }

    /// Posts `body`, retrying 5xx, 429 and transport errors with backoff.
    /// - Returns: whether the receiver accepted it (2xx).
    @discardableResult
    package func deliver(_ body: JSONValue, logger: Logger) async -> Bool {
        let host = url.host ?? "?"
        var delay = firstBackoff
        for attempt in 1...max(1, attempts) {
            var request = URLRequest(url: url, timeoutInterval: requestTimeout.inSeconds)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.setValue("auto-i18n-ops/\(OpsVersion.current)", forHTTPHeaderField: "User-Agent")
            request.httpBody = Data(body.jsonString().utf8)
            var retryable = true
            var problem = ""
            do {
                let (_, response) = try await URLSession.shared.data(for: request)
                let code = (response as? HTTPURLResponse)?.statusCode ?? 0
                if (200..<300).contains(code) { return true }
                retryable = code >= 500 || code == 429
                problem = "HTTP \(code)"
            } catch {
                problem = "\(type(of: error))"
                if let urlError = error as? URLError { problem = "URLError \(urlError.code.rawValue)" }
            }
            guard retryable, attempt < attempts, !Task.isCancelled else {
                logger.warning("webhook notification not delivered", metadata: ["host": "\(host)", "attempts": "\(attempt)", "reason": "\(problem)"])
                return false
            }
            try? await Task.sleep(for: delay)
            delay = delay * 2
        }
        return false
    }
}
