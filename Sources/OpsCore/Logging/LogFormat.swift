import Foundation
import Logging
import OpsSupport

/// `--log-format`: human text or JSON Lines (one object per line) for log shippers.
package enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

/// Bootstraps swift-log once per process. Logs go to stderr; stdout is for command output.
package enum LoggingSetup {
    package static func bootstrap(format: LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}

/// One JSON object per line on stderr: `{"ts":…,"level":…,"label":…,"msg":…, metadata…}`.
package struct JSONLogHandler: LogHandler {
    package var logLevel: Logger.Level = .info
    package var metadata: Logger.Metadata = [:]
    package let label: String
    private static let lock = NSLock()

    package init(label: String) { self.label = label }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        log(level: event.level, message: event.message, explicit: event.metadata)
    }

    private func log(level: Logger.Level, message: Logger.Message, explicit: Logger.Metadata?) {
        var object: [String: JSONValue] = [
            "ts": .string(Self.timestamp()),
            "level": .string(level.rawValue),
            "label": .string(label),
            "msg": .string(message.description),
        ]
        for (key, value) in metadata.merging(explicit ?? [:], uniquingKeysWith: { _, new in new }) where object[key] == nil {
            object[key] = Self.json(value)
        }
        let line = JSONValue.object(object).jsonString() + "\n"
        Self.lock.lock()
        defer { Self.lock.unlock() }
        FileHandle.standardError.write(Data(line.utf8))
    }

    private static func json(_ value: Logger.MetadataValue) -> JSONValue {
        switch value {
        case .string(let text): return .string(text)
        case .stringConvertible(let convertible): return .string(convertible.description)
        case .array(let values): return .array(values.map(json))
        case .dictionary(let values): return .object(values.mapValues(json))
        }
    }

    private static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}
