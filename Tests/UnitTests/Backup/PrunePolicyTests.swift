@testable import Backup
import Foundation
import Testing

@Suite("GFS prune policy")
struct PrunePolicyTests {
    /// One backup every 6 hours for 70 days, ending 2026-11-26 18:00 UTC.
    static let candidates: [PrunePolicy.Candidate] = {
        let end = BackupRepository.date(fromID: "20261126T180000Z")!
        return (0..<(70 * 4)).map { index in
            let date = end.addingTimeInterval(-Double(index) * 6 * 3600)
            return PrunePolicy.Candidate(id: BackupRepository.id(for: date), date: date, verified: false)
        }
    }()

    static func kept(_ policy: PrunePolicy, _ candidates: [PrunePolicy.Candidate] = candidates) -> [String: [String]] {
        Dictionary(uniqueKeysWithValues: policy.decide(candidates).filter(\.keep).map { ($0.id, $0.reasons) })
    }

    @Test("keep-last keeps the newest N")
    func keepLast() {
        #expect(Self.kept(PrunePolicy(keepLast: 3)) == [
            "20261126T180000Z": ["last 1"], "20261126T120000Z": ["last 2"], "20261126T060000Z": ["last 3"],
        ])
    }

    @Test("keep-daily keeps the newest backup of each of the last N days")
    func keepDaily() {
        #expect(Self.kept(PrunePolicy(keepDaily: 3)) == [
            "20261126T180000Z": ["daily 2026-11-26"], "20261125T180000Z": ["daily 2026-11-25"], "20261124T180000Z": ["daily 2026-11-24"],
        ])
    }

    @Test("keep-weekly uses ISO weeks and keep-monthly calendar months, newest in each")
    func keepWeeklyAndMonthly() {
        // 2026-11-26 is a Thursday in ISO week 48; the week before ends Sunday 2026-11-22.
        #expect(Self.kept(PrunePolicy(keepWeekly: 2)) == [
            "20261126T180000Z": ["weekly 2026-W48"], "20261122T180000Z": ["weekly 2026-W47"],
        ])
        #expect(Self.kept(PrunePolicy(keepMonthly: 3)) == [
            "20261126T180000Z": ["monthly 2026-11"], "20261031T180000Z": ["monthly 2026-10"], "20260930T180000Z": ["monthly 2026-09"],
        ])
    }

    @Test("policies combine, and each kept backup says every reason")
    func combined() {
        let kept = Self.kept(PrunePolicy(keepLast: 1, keepDaily: 2, keepWeekly: 1, keepMonthly: 1))
        #expect(kept == [
            "20261126T180000Z": ["last 1", "daily 2026-11-26", "weekly 2026-W48", "monthly 2026-11"],
            "20261125T180000Z": ["daily 2026-11-25"],
        ])
    }

    @Test("the newest verified backup is never deleted")
    func newestVerifiedIsKept() {
        var candidates = Self.candidates
        candidates[100].verified = true
        candidates[200].verified = true
        let kept = Self.kept(PrunePolicy(keepLast: 1), candidates)
        #expect(kept.count == 2)
        #expect(kept[candidates[100].id] == ["newest verified"])
        #expect(kept[candidates[200].id] == nil)
    }

    @Test("a policy keeping nothing is refused")
    func emptyPolicyRefused() {
        #expect(throws: BackupError.self) { try PrunePolicy().validate() }
        #expect(throws: BackupError.self) { try PrunePolicy(keepLast: -1, keepDaily: 2).validate() }
    }

    @Test("ids round-trip through dates")
    func idsRoundTrip() throws {
        let date = try #require(BackupRepository.date(fromID: "20261126T090412Z"))
        #expect(BackupRepository.id(for: date) == "20261126T090412Z")
        #expect(BackupRepository.date(fromID: "not-an-id") == nil)
    }
}
