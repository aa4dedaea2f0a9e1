import Foundation
import OpsSupport

/// A bounded first-in first-out queue between threads and tasks: the stage that reads or copies bytes
/// on a blocking thread hands units of work to the next stage without ever holding more than
/// `capacity` of them, so memory stays bounded whatever the size of the database or archive.
///
/// Blocking threads (a PostgreSQL connection's queue, a `BlockingIO` thread) use `send` and
/// `receiveBlocking`; tasks on Swift's cooperative pool use `receive()`, which suspends instead of
/// blocking. Either side can end the flow: `finish()` after the last element, `fail(_:)` to wake every
/// waiter with an error (a failed producer, or a consumer that gave up).
///
/// `@unchecked Sendable`: every mutable field is guarded by `condition`.
final class HandoffChannel<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    /// Taken slots are set to nil at once, so a consumed element (a buffer of several MiB) is freed
    /// when its receiver is done with it, not when the array is next compacted.
    private var elements: [Element?] = []
    private var head = 0
    private var finished = false
    private var failure: (any Error)?
    private var receivers: [CheckedContinuation<Element?, any Error>] = []

    /// - Parameter capacity: how many elements may wait before `send` blocks.
    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    private var count: Int { elements.count - head }

    /// Appends `element`, waiting while the channel is full. Call from a blocking thread only.
    /// - Throws: the error given to `fail(_:)` once the channel has failed.
    func send(_ element: Element) throws {
        condition.lock()
        while failure == nil, receivers.isEmpty, count >= capacity { condition.wait() }
        try deliver(element)
    }

    /// Appends `element` without waiting for room: for the few small control elements (schema
    /// members, markers) a task sends; bulk data goes through `send`.
    func sendWithoutWaiting(_ element: Element) throws {
        condition.lock()
        try deliver(element)
    }

    /// Called with `condition` locked; unlocks it.
    private func deliver(_ element: Element) throws {
        if let failure {
            condition.unlock()
            throw failure
        }
        precondition(!finished, "send after finish")
        if !receivers.isEmpty {
            let receiver = receivers.removeFirst()
            condition.unlock()
            receiver.resume(returning: element)
            return
        }
        elements.append(element)
        condition.broadcast()
        condition.unlock()
    }

    /// The next element, waiting while the channel is empty; nil once it is finished and drained.
    /// Call from a blocking thread only.
    func receiveBlocking() throws -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while failure == nil, count == 0, !finished { condition.wait() }
        if let failure { throw failure }
        return takeLocked()
    }

    /// The next element, suspending while the channel is empty; nil once it is finished and drained.
    func receive() async throws -> Element? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Element?, Error>) in
            condition.lock()
            if let failure {
                condition.unlock()
                continuation.resume(throwing: failure)
            } else if count > 0 || finished {
                let element = takeLocked()
                condition.unlock()
                continuation.resume(returning: element)
            } else {
                receivers.append(continuation)
                condition.unlock()
            }
        }
    }

    private func takeLocked() -> Element? {
        guard count > 0 else { return nil }
        let element = elements[head]
        elements[head] = nil
        head += 1
        if head > 64, head * 2 > elements.count {
            elements.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return element
    }

    /// No more elements will be sent: receivers drain what is queued, then get nil.
    func finish() {
        condition.lock()
        finished = true
        let waiting = receivers
        receivers = []
        condition.broadcast()
        condition.unlock()
        for receiver in waiting { receiver.resume(returning: nil) }
    }

    /// Throws the channel's failure, if it has failed: lets a stage busy with a long piece of work (a
    /// member being compressed) stop between slices instead of at its next send or receive.
    func checkNotFailed() throws {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
    }

    /// Wakes every sender and receiver with `error`; queued elements are dropped. The first error wins.
    func fail(_ error: any Error) {
        condition.lock()
        if failure == nil { failure = error }
        let stored = failure!
        elements = []
        head = 0
        let waiting = receivers
        receivers = []
        condition.broadcast()
        condition.unlock()
        for receiver in waiting { receiver.resume(throwing: stored) }
    }
}
