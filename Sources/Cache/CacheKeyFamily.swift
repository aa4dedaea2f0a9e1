/// The key families the auto-i18n service writes (the seed's key names), by prefix.
package enum CacheKeyFamily: String, Sendable, Hashable, CaseIterable, Comparable {
    /// `session:{senderId}`
    case session
    /// `api:response:*`
    case apiResponse = "api_response"
    /// `translation:*`
    case translation
    /// `ratelimit:*`
    case ratelimit
    /// `stats:*` (e.g. `stats:dashboard`)
    case stats
    /// Any other key (including `batch:queue`).
    case other

    /// The key prefix of the family; `nil` for `other`.
    package var prefix: String? {
        switch self {
        case .session: return "session:"
        case .apiResponse: return "api:response:"
        case .translation: return "translation:"
        case .ratelimit: return "ratelimit:"
        case .stats: return "stats:"
        case .other: return nil
        }
    }

    private static let prefixes: [(CacheKeyFamily, [UInt8])] = allCases.compactMap { family in
        family.prefix.map { (family, Array($0.utf8)) }
    }

    /// The family of a key, by its raw bytes (keys need not be UTF-8).
    package static func classify(_ key: [UInt8]) -> CacheKeyFamily {
        for (family, prefix) in prefixes where key.count >= prefix.count && key.starts(with: prefix) {
            return family
        }
        return .other
    }

    package static func < (a: CacheKeyFamily, b: CacheKeyFamily) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
