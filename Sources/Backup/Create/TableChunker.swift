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
    private let table: BackupTable
    private let tableIndex: Int
    private let chunkBytes: Int
    private let channel: HandoffChannel<SinkItem>
    private let progress: ProgressMeter?
    private let header: [UInt8]
    private var body: [UInt8] = []
    private var rowsInChunk: Int64 = 0
    private(set) var chunks = 0
    private(set) var rows: Int64 = 0
    private(set) var bytes: Int64 = 0
    private(set) var memberNames: [String] = []

    static let trailer: [UInt8] = Array("\\.\n\n".utf8)

    /// The archive's share between favoured and other tables (nil: members go as they fill).
    private let share: ArchiveShare?
    private let favoured: Bool
    /// Where member buffers come from (nil: a new one each time).
    private let buffers: MemberBuffers?

    init(table: BackupTable, tableIndex: Int, chunkBytes: Int, channel: HandoffChannel<SinkItem>, progress: ProgressMeter? = nil,
         share: ArchiveShare? = nil, favoured: Bool = false, buffers: MemberBuffers? = nil) {
        self.share = share
        self.buffers = buffers
        self.favoured = favoured
        self.table = table
        self.progress = progress
        self.tableIndex = tableIndex
        self.chunkBytes = chunkBytes
        self.channel = channel
        self.header = Array(table.copyInHeader.utf8)
        startChunk()
    }

    private func startChunk() {
        if let buffers {
            body = buffers.take()
        } else {
            body = []
            body.reserveCapacity(min(chunkBytes, 1 << 20) + header.count + 64)
        }
        body.append(contentsOf: header)
        rowsInChunk = 0
    }

    /// Appends one row (or any run of bytes COPY produced); hands the member over when it is full.
    /// Call on a blocking thread: it may wait for the archive thread.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        body.append(contentsOf: bytes)
        rowsInChunk += 1
        if body.count >= chunkBytes {
            if let share, !favoured { try share.waitForOtherTurn { try channel.checkNotFailed() } }
            try channel.send(.member(closeChunk()))
            if favoured { share?.favouredSentOne() }
        }
    }

    /// Hands over the last member: always one for a table, even with no rows, as pg_dump writes an
    /// empty COPY block for an empty table. Does not wait for room (one extra member per connection).
    func finish() throws {
        if chunks == 0 || rowsInChunk > 0 {
            try channel.sendWithoutWaiting(.member(closeChunk()))
        }
    }

    private func closeChunk() -> PendingMember {
        body.append(contentsOf: Self.trailer)
        let name = Self.memberName(tableIndex: tableIndex, table: table, chunk: chunks)
        let member = PendingMember(name: name, kind: .data, body: body, rows: rowsInChunk, table: "\(table.schema).\(table.name)")
        chunks += 1
        rows += rowsInChunk
        bytes += Int64(body.count)
        progress?.add("rows", rowsInChunk)
        progress?.add("data", Int64(body.count))
        memberNames.append(name)
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
