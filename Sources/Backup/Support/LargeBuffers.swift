#if canImport(Glibc)
import Glibc
#endif

/// Keeps the process's memory bounded by what the pipelines hold, not by what malloc keeps around.
///
/// Backups and restores allocate and free member buffers of several MiB on several threads. glibc
/// raises its mmap threshold each time such a buffer is freed, after which new buffers come from
/// per-thread arenas that keep freed memory: the resident size then grows to several times the
/// buffers actually in use. A fixed threshold makes every buffer of 256 KiB or more its own mapping,
/// returned to the system when freed.
enum LargeBuffers {
    /// Applies the setting once per process (idempotent and cheap afterwards).
    static func configure() {
        _ = configured
    }

    private static let configured: Bool = {
        #if canImport(Glibc)
        // `mallopt` lives in <malloc.h>, which the Glibc module does not import: look it up by name
        // (RTLD_DEFAULT is a null handle on glibc) and call it with the C convention.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        return unsafeBitCast(symbol, to: Mallopt.self)(mmapThreshold, 256 * 1024) == 1
        #else
        return true
        #endif
    }()
}
