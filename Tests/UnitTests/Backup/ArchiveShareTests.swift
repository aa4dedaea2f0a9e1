@testable import Backup
import Foundation
import Testing

@Suite("Archive share: tables with a slow index build first")
struct ArchiveShareTests {
    @Test func theTablesOfGinGistAndSpgistBuildsAreFavoured() {
        let postData = Array("""
            SET statement_timeout = 0;
            ALTER TABLE ONLY public.files
                ADD CONSTRAINT files_pkey PRIMARY KEY (id);
            CREATE INDEX files_v ON public.files USING gin (search_vector);
            CREATE INDEX b_x ON public.batches USING btree (x);
            CREATE INDEX "Geo" ON "My Schema"."Places" USING gist (area);
            COMMENT ON INDEX public.b_x IS 'USING gin';

            """.utf8)
        #expect(ArchiveShare.favouredTables(postData: postData) == ["public.files", "My Schema.Places"])
        #expect(ArchiveShare.favouredTables(postData: Array("CREATE INDEX b ON public.t USING btree (a);\n".utf8)).isEmpty)
    }

    /// While a favoured table is copied, another hands over one member per `ratio` of the favoured;
    /// once it is done, the others go freely.
    @Test func othersGetOneTurnPerRatioFavouredMembers() throws {
        let share = ArchiveShare(ratio: 2)
        share.startFavoured()
        try share.waitForOtherTurn { }  // the first goes at once
        let order = LockedOrder()
        let other = Thread {
            for _ in 0..<2 {
                try? share.waitForOtherTurn { }
                order.append("other")
            }
        }
        other.start()
        Thread.sleep(forTimeInterval: 0.3)
        #expect(order.items.isEmpty, "another table must wait for the favoured one's turn")
        for _ in 0..<2 { order.append("favoured"); share.favouredSentOne() }
        let deadline = Date().addingTimeInterval(5)
        while order.items.count < 3 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(order.items == ["favoured", "favoured", "other"])
        // The favoured table ends: the second other member goes without more favoured members.
        share.endFavoured()
        while order.items.count < 4 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(order.items == ["favoured", "favoured", "other", "other"])
    }

    @Test func aFailedBackupWakesTheWaitingTable() {
        let share = ArchiveShare(ratio: 2)
        share.startFavoured()
        try? share.waitForOtherTurn { }
        struct Failed: Error {}
        let started = Date()
        #expect(throws: Failed.self) { try share.waitForOtherTurn { throw Failed() } }
        #expect(Date().timeIntervalSince(started) < 5)
    }
}

private final class LockedOrder: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func append(_ item: String) { lock.lock(); list.append(item); lock.unlock() }
    var items: [String] { lock.lock(); defer { lock.unlock() }; return list }
}
