import Foundation

/// Data members' buffers, handed back by the archive thread once a member is written and taken again
/// by the next chunk, so a backup allocates only as many as are ever in flight at once.
///
/// Each buffer is a mapping of its own (`LargeBuffers`): without reuse every 4 MiB member cost a fresh
/// mapping, a page fault per 4 KiB page, growth copies from 1 MiB up, and an munmap (measured: 16 % of
/// the backup's CPU time on 2 cores, where the backup and the server share the CPU). The pool holds at
/// most `limit` buffers, none larger than `maxCapacity` (a member that had to grow around one huge row
/// is let go), so the memory bound of `BackupOptions.chunkBytes` is unchanged.
///
/// `@unchecked Sendable`: the list is guarded by `lock`.
final class MemberBuffers: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [[UInt8]] = []
    private let limit: Int
    private let maxCapacity: Int
    /// What a new buffer reserves: a full member and a row past it.
    let capacity: Int

    init(chunkBytes: Int, limit: Int) {
        self.limit = max(0, limit)
        capacity = chunkBytes + (64 << 10)
        maxCapacity = 2 * capacity
    }

    /// An empty buffer with room for a whole member.
    func take() -> [UInt8] {
        lock.lock()
        var buffer = free.popLast() ?? []
        lock.unlock()
        // Keeps the storage when this is its only reference (the archive thread has let go of the
        // member); otherwise copy-on-write makes a new one, which is correct, only not reused.
        buffer.removeAll(keepingCapacity: true)
        buffer.reserveCapacity(capacity)
        return buffer
    }

    /// Buffers waiting to be taken.
    var kept: Int {
        lock.lock()
        defer { lock.unlock() }
        return free.count
    }

    /// A written member's buffer, for a later `take`.
    func give(_ buffer: [UInt8]) {
        guard buffer.capacity <= maxCapacity else { return }
        lock.lock()
        if free.count < limit { free.append(buffer) }
        lock.unlock()
    }
}
