import Foundation

/// A value behind a lock, for state shared by request handlers and the refresher.
///
/// `@unchecked Sendable`: every access to `value` goes through `withLock`, under `lock`.
final class LockedValue<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
