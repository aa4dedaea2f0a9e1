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

    private static func cache(maxAge: Duration, counting counter: Counter) -> ReadinessCache {
        ReadinessCache(maxAge: maxAge) {
            let n = counter.next()
            try? await Task.sleep(for: .milliseconds(20))
            return MetricsServer.Readiness(ready: n % 2 == 1, body: "check \(n)")
        }
    }

    /// 200 concurrent probes: one check, all see its answer. (A long maxAge, so a loaded host that
    /// starts the last probes late still finds the first answer young.)
    @Test func aBurstOfRequestsCostsOneCheck() async throws {
        let counter = Counter()
        let cache = Self.cache(maxAge: .seconds(60), counting: counter)
        let answers = await withTaskGroup(of: String.self) { group in
            for _ in 0..<200 { group.addTask { await cache.current().body } }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(counter.count == 1)
        #expect(Set(answers) == ["check 1"])
        #expect(await cache.checks == 1)
    }

    /// An answer older than maxAge is refreshed by the next probe (sleep longer than the age, never
    /// shorter); a young one is reused.
    @Test func anOldAnswerIsRefreshed() async throws {
        let counter = Counter()
        let cache = Self.cache(maxAge: .milliseconds(200), counting: counter)
        let first = await cache.current()
        #expect(first.body == "check 1" && first.ready)
        try await Task.sleep(for: .milliseconds(250))
        let refreshed = await cache.current()
        #expect(counter.count == 2)
        #expect(refreshed.body == "check 2" && !refreshed.ready)
        #expect(await cache.checks == 2)
    }
}
