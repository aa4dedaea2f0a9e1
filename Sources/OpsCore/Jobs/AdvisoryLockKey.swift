/// A PostgreSQL advisory lock key derived from a stable name, so every replica and every one-shot run
/// of a job contends for the same lock.
package struct AdvisoryLockKey: Sendable, Hashable {
    package let name: String
    package let value: Int64

    /// FNV-1a 64 of `auto-i18n-ops:<name>`: stable across builds and platforms (unlike `hashValue`).
    package static func forName(_ name: String) -> AdvisoryLockKey {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "auto-i18n-ops:\(name)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return AdvisoryLockKey(name: name, value: Int64(bitPattern: hash))
    }
}
