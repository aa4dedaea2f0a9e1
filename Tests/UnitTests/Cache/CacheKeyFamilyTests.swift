import Cache
import Testing

@Suite("Cache: key families")
struct CacheKeyFamilyTests {
    @Test(arguments: [
        ("session:u-42", CacheKeyFamily.session), ("api:response:abc", .apiResponse), ("translation:fr:1", .translation),
        ("ratelimit:1.2.3.4", .ratelimit), ("stats:dashboard", .stats), ("batch:queue", .other), ("api:other", .other),
        ("session", .other), ("sessions:1", .other),
    ])
    func keysAreClassifiedByPrefix(key: String, family: CacheKeyFamily) {
        #expect(CacheKeyFamily.classify(Array(key.utf8)) == family)
    }
}
