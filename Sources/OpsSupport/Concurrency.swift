import Foundation

/// A value behind a lock: the one lock box of the package (state shared by request handlers and a
/// refresher, a work queue shared by COPY connections, counters).
///
/// `@unchecked Sendable`: every access to `value` goes through `withLock`, under `lock`.
package final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    package init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with exclusive access to the value.
    package func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

extension LockedBox where Value: Sendable {
    /// A copy of the current value.
    package var current: Value { withLock { $0 } }
}

extension LockedBox {
    /// A queue of work items taken by several workers: each item is handed out once, in order.
    package static func queue<Element>(_ items: [Element]) -> LockedBox<IndexingIterator<[Element]>> where Value == IndexingIterator<[Element]> {
        LockedBox(items.makeIterator())
    }
}

extension LockedBox {
    /// The next item of a work queue made with `queue(_:)`, or nil when all were handed out.
    package func next<Element>() -> Element? where Value == IndexingIterator<[Element]> {
        withLock { $0.next() }
    }
}

/// Moves a non-Sendable value to another thread or closure when the sender provably stops using it
/// (the handover is sequential, never concurrent): a file being published, an archive reader, a value
/// used by work the caller awaits on a connection's queue. The one unchecked-transfer wrapper.
package struct UnsafeTransfer<Value>: @unchecked Sendable {
    package var value: Value
    package init(_ value: Value) { self.value = value }
}
