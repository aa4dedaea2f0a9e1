import Foundation

/// Runs blocking work (disk I/O, compression, libpq's blocking calls) off Swift's cooperative pool.
///
/// The cooperative pool has one thread per core; a blocking call there stalls every task scheduled
/// behind it. `ArchiveWriter` and `ArchiveReader` are synchronous by design, so async callers wrap a
/// whole archive job in `run`:
///
/// ```swift
/// let entries = try await BlockingIO.run {
///     let writer = try ArchiveWriter(path: path)
///     try writer.addEntry(name: "manifest.json", contents: manifest)
///     try writer.finish()
///     return 1
/// }
/// ```
package enum BlockingIO {
    /// Runs `body` on a thread of its own and resumes with its result.
    ///
    /// Each call gets its own thread rather than a slot in a bounded queue, so blocking bodies that wait
    /// on each other (a COPY reader feeding an archive writer through a pipe) cannot deadlock for want
    /// of threads. The cost, one thread start per call, is nothing next to an archive job.
    /// - Parameters:
    ///   - name: the thread's name, shown by debuggers and `top -H`; Linux keeps 15 bytes of it.
    ///   - body: the blocking work; its errors are rethrown to the caller.
    /// The name of the calling thread as the kernel knows it (`top -H`, `/proc/<pid>/task/*/comm`).
    package static var currentThreadName: String {
        let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
        return comm.trimmingCharacters(in: .newlines)
    }

    package static func run<T: Sendable>(
        name: String = "archiveio-block",
        _ body: @Sendable @escaping () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let thread = Thread {
                // Set from inside: on Linux a name given before start() is not applied to the thread.
                Thread.current.name = name
                // And in the kernel's view too (`top -H`), which Foundation does not always update.
                try? String(name.utf8.prefix(15))?.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
                continuation.resume(with: Result { try body() })
            }
            thread.start()
        }
    }
}
