/// Moves a non-Sendable value into a closure that runs on the connection's queue.
///
/// Sound only because every use is synchronous from the caller's point of view: the caller awaits the
/// queued work, so the value is never touched from two threads at once.
struct UnsafeTransfer<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
