import Foundation
import OpsSupport

/// Cuts one table's COPY stream into data members of bounded size, each a self-contained
/// `COPY … FROM stdin;` block ending with `\.`, so memory stays bounded whatever the table's size and
/// the chunks can be loaded in parallel.
///
/// Used on the connection's thread from inside `copyOut`: each row (libpq hands over one row per
/// chunk in text COPY) is appended as raw bytes, with no per-row String work. When a member is full it
/// is hashed and handed to the archive thread, waiting if the archive thread is behind.
final class TableChunker {
    private let members: TableMembers
    private let slice: Int
    private let chunkBytes: Int
    private let channel: HandoffChannel<SinkItem>
    private let progress: ProgressMeter?
    private let header: [UInt8]
    private var body: [UInt8] = []
    private var rowsInChunk: Int64 = 0

    static let trailer: [UInt8] = Array("\\.\n\n".utf8)

    /// The archive's share between favoured and other tables (nil: members go as they fill).
    private let share: ArchiveShare?
    private let favoured: Bool

    /// A chunker for slice `slice` of `members`' table (0 for a table copied in one statement).
    init(members: TableMembers, slice: Int = 0, chunkBytes: Int, channel: HandoffChannel<SinkItem>, progress: ProgressMeter? = nil,
         share: ArchiveShare? = nil, favoured: Bool = false) {
        self.members = members
        self.slice = slice
        self.share = share
        self.favoured = favoured
        self.progress = progress
        self.chunkBytes = chunkBytes
        self.channel = channel
        self.header = Array(members.table.copyInHeader.utf8)
        startChunk()
    }

    private func startChunk() {
        body = []
        body.reserveCapacity(min(chunkBytes, 1 << 20) + header.count + 64)
        body.append(contentsOf: header)
        rowsInChunk = 0
    }

    /// Appends one row (or any run of bytes COPY produced); hands the member over when it is full.
    /// Call on a blocking thread: it may wait for the archive thread, or for the slices before this
    /// one to be handed over.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        body.append(contentsOf: bytes)
        rowsInChunk += 1
        if body.count >= chunkBytes {
            try members.waitForTurn(slice) { try channel.checkNotFailed() }
            if let share, !favoured { try share.waitForOtherTurn { try channel.checkNotFailed() } }
            try channel.send(.member(closeChunk()))
            if favoured { share?.favouredSentOne() }
        }
    }

    /// Hands over the slice's last member, after the slices before it: a table always has at least
    /// one member, even with no rows, as pg_dump writes an empty COPY block for an empty table. The
    /// table's last member does not wait for room (one extra member per connection); a slice's
    /// does, so a table of many slices stays within the channel's bound. Returns true when this was
    /// the table's last slice.
    @discardableResult
    func finish() throws -> Bool {
        try members.waitForTurn(slice) { try channel.checkNotFailed() }
        let last = members.isLastSlice(slice)
        if rowsInChunk > 0 || (last && members.memberCount == 0) {
            if last { try channel.sendWithoutWaiting(.member(closeChunk())) } else { try channel.send(.member(closeChunk())) }
        }
        return members.sliceDone(slice)
    }

    private func closeChunk() -> PendingMember {
        body.append(contentsOf: Self.trailer)
        let table = members.table
        let name = members.record(rows: rowsInChunk, bytes: Int64(body.count))
        let member = PendingMember(name: name, kind: .data, body: body, rows: rowsInChunk, table: "\(table.schema).\(table.name)")
        progress?.add("rows", rowsInChunk)
        progress?.add("data", Int64(body.count))
        startChunk()
        return member
    }

    /// `1000-data-0003-public.files.sql`, then `….1.sql`, `….2.sql` for further chunks. Names keep only
    /// characters safe in any file system and shell; the manifest maps members to tables exactly.
    static func memberName(tableIndex: Int, table: BackupTable, chunk: Int) -> String {
        let index = String(tableIndex)
        let padded = String(repeating: "0", count: max(0, 4 - index.count)) + index
        let suffix = chunk == 0 ? "" : ".\(chunk)"
        return "1000-data-\(padded)-\(safe(table.schema)).\(safe(table.name))\(suffix).sql"
    }

    static func safe(_ name: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
        let mapped = String(name.map { allowed.contains($0) ? $0 : "_" })
        return String(mapped.prefix(60))
    }
}

/// The data members of one table, named and counted in archive order. A large table is copied as
/// page ranges ("slices") on several connections at once; each slice hands its members over only
/// after every slice before it has handed over its last, so the table's members stay in the archive
/// in the order of its pages, as one COPY writes them (`restore --preserve-row-order` loads them in
/// that order). A connection waiting for its turn holds at most one full member.
///
/// `@unchecked Sendable`: the state is guarded by `condition`.
final class TableMembers: @unchecked Sendable {
    let table: BackupTable
    let tableIndex: Int
    let slices: Int
    private let condition = NSCondition()
    private var nextSlice = 0
    private var names: [String] = []
    private var rowCount: Int64 = 0
    private var byteCount: Int64 = 0

    init(table: BackupTable, tableIndex: Int, slices: Int = 1) {
        self.table = table
        self.tableIndex = tableIndex
        self.slices = max(1, slices)
    }

    func isLastSlice(_ slice: Int) -> Bool { slice == slices - 1 }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    var memberCount: Int { locked { names.count } }

    /// Waits until the slices before `slice` have handed over all their members. `check` runs every
    /// 100 ms (it throws once the backup has failed or was cancelled).
    func waitForTurn(_ slice: Int, check: () throws -> Void) throws {
        condition.lock()
        defer { condition.unlock() }
        while nextSlice < slice {
            condition.unlock()
            do { try check() } catch { condition.lock(); throw error }
            condition.lock()
            if nextSlice < slice { _ = condition.wait(until: Date().addingTimeInterval(0.1)) }
        }
    }

    /// Names the next member and counts it.
    func record(rows: Int64, bytes: Int64) -> String {
        locked {
            let name = TableChunker.memberName(tableIndex: tableIndex, table: table, chunk: names.count)
            names.append(name)
            rowCount += rows
            byteCount += bytes
            return name
        }
    }

    /// `slice` has handed over its last member; true when it was the table's last slice.
    func sliceDone(_ slice: Int) -> Bool {
        locked {
            nextSlice = max(nextSlice, slice + 1)
            condition.broadcast()
            return nextSlice >= slices
        }
    }

    var manifestTable: BackupManifest.Table {
        locked {
            BackupManifest.Table(schema: table.schema, name: table.name, qualifiedName: table.qualifiedName,
                                 rows: rowCount, bytes: byteCount, members: names)
        }
    }

    /// Rows and member names so far (for tests and logs).
    var rows: Int64 { locked { rowCount } }
    var memberNames: [String] { locked { names } }
}
