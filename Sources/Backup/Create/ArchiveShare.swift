import Foundation

/// Favours, in the archive, the tables whose post-data holds a slow index build (GIN, GiST,
/// SP-GiST): while one of them is being copied, the connections copying other tables hand over one
/// member for every `ratio` members of the favoured ones. Its members then end earlier in the archive,
/// so `restore --jobs` can start that build (see `EarlyPostData`) while the other tables still load,
/// instead of after the whole load. Only the order of members changes (each table's members stay in
/// order, on one connection); the COPY of the others waits meanwhile, which leaves the CPU to the
/// favoured table's server process.
///
/// `@unchecked Sendable`: the counters are guarded by `condition`.
final class ArchiveShare: @unchecked Sendable {
    private let condition = NSCondition()
    private let ratio: Int
    /// Favoured tables being copied now.
    private var favouredActive = 0
    /// Members handed over by favoured tables, and the count at which others may hand over the next.
    private var favouredSent = 0
    private var nextOther = 0

    init(ratio: Int = 2) {
        self.ratio = max(1, ratio)
    }

    /// The tables (`schema.name`, as `PostDataScheduler` names them) a slow index build of `postData`
    /// locks.
    static func favouredTables(postData: [UInt8]) -> Set<String> {
        var tables: Set<String> = []
        for statement in (try? SQLScriptSplitter.statements(in: postData, source: "post-data")) ?? [] {
            guard PostDataScheduler.isSlowIndexBuild(statement.sql), let locked = PostDataScheduler.lockSet(of: statement.sql) else { continue }
            tables.formUnion(locked)
        }
        return tables
    }

    func startFavoured() {
        condition.lock()
        favouredActive += 1
        condition.unlock()
    }

    func endFavoured() {
        condition.lock()
        favouredActive -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// A favoured table handed over a member.
    func favouredSentOne() {
        condition.lock()
        favouredSent += 1
        condition.broadcast()
        condition.unlock()
    }

    /// Before another table hands over a member: waits while a favoured table is being copied and has
    /// not yet sent its `ratio` members since the last such turn. `check` runs every 100 ms (it throws
    /// once the backup has failed or was cancelled).
    func waitForOtherTurn(check: () throws -> Void) throws {
        condition.lock()
        defer { condition.unlock() }
        while favouredActive > 0 && favouredSent < nextOther {
            condition.unlock()
            do { try check() } catch { condition.lock(); throw error }
            condition.lock()
            if favouredActive > 0 && favouredSent < nextOther { _ = condition.wait(until: Date().addingTimeInterval(0.1)) }
        }
        nextOther = max(nextOther, favouredSent) + ratio
    }
}
