import Logging
import OpsSupport

/// A swift-log handler that keeps every message, for tests that assert what a run logs.
struct CapturingLogHandler: LogHandler {
    /// The messages of every logger made from one `logger()` call, in order.
    final class Store: Sendable {
        let messages = LockedBox<[String]>([])
        var all: [String] { messages.withLock { $0 } }
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        store.messages.withLock { $0.append(message.description) }
    }

    /// A logger whose messages land in the returned store.
    static func logger(label: String = "capture") -> (Logger, Store) {
        let store = Store()
        return (Logger(label: label) { _ in CapturingLogHandler(store: store) }, store)
    }
}
