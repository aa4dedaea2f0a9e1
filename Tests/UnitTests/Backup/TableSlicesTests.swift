@testable import Backup
import Foundation
import Testing

@Suite("Table slices: a large table copied as page ranges, its members in page order")
struct TableSlicesTests {
    static func table(bytes: Int64, tableBytes: Int64? = nil, pages: Int64, heap: Bool = true, columns: String = "(id, \"Body\")") -> BackupTable {
        BackupTable(schema: "public", name: "t", qualifiedName: "public.t", columnList: columns, estimatedBytes: bytes,
                    tableBytes: tableBytes, pages: pages, isHeap: heap)
    }

    @Test func rangesCoverEveryPageOnceAndTheLastIsOpenEnded() throws {
        let mib = 1 << 20
        for (bytes, pages) in [(Int64(40 * mib), Int64(5120)), (Int64(41 * mib), Int64(5249)), (Int64(9 * mib), Int64(3)), (Int64(1 << 40), Int64(1 << 27))] {
            let slices = try #require(Self.table(bytes: bytes, pages: pages).slices(chunkBytes: 4 * mib))
            #expect(slices.first?.start == 0)
            #expect(slices.last?.end == nil, "rows on pages past the size read at the start are still copied")
            for (a, b) in zip(slices, slices.dropFirst()) { #expect(a.end == b.start && a.start < b.start) }
            #expect(slices.count >= 2 && slices.count <= 10_000)
            #expect(Int64(slices.count) <= pages)
        }
        // About one member of the main fork per range.
        #expect(Self.table(bytes: 40 * Int64(mib), pages: 5120).slices(chunkBytes: 4 * mib)?.count == 10)
    }

    @Test func smallNonHeapAndColumnlessTablesAreCopiedInOneStatement() {
        let mib = 1 << 20
        #expect(Self.table(bytes: 7 * Int64(mib), pages: 900).slices(chunkBytes: 4 * mib) == nil)
        #expect(Self.table(bytes: 80 * Int64(mib), pages: 10240, heap: false).slices(chunkBytes: 4 * mib) == nil)
        #expect(Self.table(bytes: 80 * Int64(mib), pages: 10240, columns: "").slices(chunkBytes: 4 * mib) == nil)
        #expect(Self.table(bytes: 80 * Int64(mib), pages: 1).slices(chunkBytes: 4 * mib) == nil)
        // A small main fork with large values in TOAST is sliced by its size with TOAST.
        #expect(Self.table(bytes: 1 * Int64(mib), tableBytes: 500 * Int64(mib), pages: 128).slices(chunkBytes: 4 * mib)?.count == 2)
    }

    @Test func aRangeCopiesOnlyThatTableItsColumnsAndItsPages() {
        let table = Self.table(bytes: 0, pages: 0)
        #expect(table.copyOutSQL(pages: 0, to: 128) == "COPY (SELECT id, \"Body\" FROM ONLY public.t WHERE ctid OPERATOR(pg_catalog.>=) '(0,0)'::pg_catalog.tid AND ctid OPERATOR(pg_catalog.<) '(128,0)'::pg_catalog.tid) TO STDOUT")
        #expect(table.copyOutSQL(pages: 128, to: nil) == "COPY (SELECT id, \"Body\" FROM ONLY public.t WHERE ctid OPERATOR(pg_catalog.>=) '(128,0)'::pg_catalog.tid) TO STDOUT")
    }

    /// Slices finishing out of order still hand their members over in slice order, numbered in that
    /// order; a connection waits for its turn.
    @Test func membersAreNamedAndHandedOverInSliceOrder() throws {
        let members = TableMembers(table: Self.table(bytes: 0, pages: 0), tableIndex: 3, slices: 3)
        let handed = HandedOrder()
        let threads = [2, 1, 0].map { slice in
            Thread {
                try? members.waitForTurn(slice) { }
                handed.append(slice)
                _ = members.record(rows: Int64(slice), bytes: 10)
                _ = members.sliceDone(slice)
            }
        }
        threads.forEach { $0.start() }
        let deadline = Date().addingTimeInterval(10)
        while members.memberNames.count < 3 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(handed.items == [0, 1, 2])
        #expect(members.memberNames == ["1000-data-0003-public.t.sql", "1000-data-0003-public.t.1.sql", "1000-data-0003-public.t.2.sql"])
        #expect(members.manifestTable.rows == 3)
    }

    @Test func aWaitingSliceStopsWhenTheBackupFails() {
        let members = TableMembers(table: Self.table(bytes: 0, pages: 0), tableIndex: 0, slices: 2)
        struct Failed: Error {}
        #expect(throws: Failed.self) { try members.waitForTurn(1) { throw Failed() } }
        #expect(members.sliceDone(0) == false)
        #expect(members.sliceDone(1) == true)
    }
}

private final class HandedOrder: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Int] = []
    func append(_ item: Int) { lock.lock(); list.append(item); lock.unlock() }
    var items: [Int] { lock.lock(); defer { lock.unlock() }; return list }
}
