import Foundation
import Telemetry
import Testing

@Suite("/readyz readiness cache")
struct ReadinessCacheTests {
    /// Counts the real checks; each takes a little while, as a store round trip does.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int { lock.withLock { value += 1; return value } }
        var count: Int { lock.withLock { value } }
    }

    @Test func aBurstOfRequestsCostsOneCheckAndAnOldAnswerIsRefreshed() async throws {
        let counter = Counter()
        let cache = ReadinessCache(maxAge: .milliseconds(200)) {
            let n = counter.next()
            try? await Task.sleep(for: .milliseconds(20))
            return MetricsServer.Readiness(ready: n % 2 == 1, body: "check \(n)")
        }
        // 200 concurrent probes: one check, all see its answer.
        let answers = await withTaskGroup(of: String.self) { group in
            for _ in 0..<200 { group.addTask { await cache.current().body } }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(counter.count == 1)
        #expect(Set(answers) == ["check 1"])
        // Older than maxAge: the next probe runs a new check (sleep longer than the age, never shorter).
        try await Task.sleep(for: .milliseconds(250))
        let refreshed = await cache.current()
        #expect(counter.count == 2)
        #expect(refreshed.body == "check 2" && !refreshed.ready)
        #expect(await cache.checks == 2)
    }
}
