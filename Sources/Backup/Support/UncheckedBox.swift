/// Hands a non-Sendable object (a file being published, an archive reader) to another thread when
/// the sender provably stops using it: the handover is sequential, never concurrent.
final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
