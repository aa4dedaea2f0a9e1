import Foundation
import Logging

/// Sessions, files and bytes done of the totals, shared by the workers. On a terminal (stderr is a
/// tty) a progress line is redrawn every second; otherwise a log line at most every 10 s; `--quiet`
/// shows neither.
package final class ImportProgress: @unchecked Sendable {
    package enum Display: Sendable { case none, terminal, log }

    private let lock = NSLock()
    private var sessionsDone = 0
    private var filesDone = 0
    private var bytesDone: Int64 = 0
    private let sessionsTotal: Int
    private let filesTotal: Int
    private let bytesTotal: Int64
    private let started = ContinuousClock.now
    private let display: Display
    private let logger: Logger

    package init(sessions: Int, files: Int, bytes: Int64, display: Display, logger: Logger) {
        sessionsTotal = sessions
        filesTotal = files
        bytesTotal = bytes
        self.display = display
        self.logger = logger
    }

    package static func defaultDisplay(quiet: Bool) -> Display {
        quiet ? .none : (isatty(STDERR_FILENO) == 1 ? .terminal : .log)
    }

    package func add(files: Int = 0, bytes: Int64 = 0) {
        lock.lock(); filesDone += files; bytesDone += bytes; lock.unlock()
    }

    package func sessionDone() {
        lock.lock(); sessionsDone += 1; lock.unlock()
    }

    package func line() -> String {
        lock.lock()
        let (s, f, b) = (sessionsDone, filesDone, bytesDone)
        lock.unlock()
        let seconds = max(0.001, (ContinuousClock.now - started).inSecondsDouble)
        let rate = Double(b) / seconds
        var text = "import: sessions \(s)/\(sessionsTotal), files \(f)/\(filesTotal), \(Self.bytes(b))/\(Self.bytes(bytesTotal)), \(Self.bytes(Int64(rate)))/s"
        if rate > 0, bytesTotal > b { text += ", ETA \(Self.duration(Double(bytesTotal - b) / rate))" }
        return text
    }

    /// Redraws until cancelled; then clears the terminal line.
    package func run() async {
        guard display != .none else { return }
        let interval: Duration = display == .terminal ? .seconds(1) : .seconds(10)
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { break }
            switch display {
            case .terminal: FileHandle.standardError.write(Data(("\r\u{1B}[K" + line()).utf8))
            case .log: logger.info("\(line())")
            case .none: break
            }
        }
        if display == .terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    static func bytes(_ value: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(value)
        var unit = 0
        while amount >= 1024, unit < units.count - 1 { amount /= 1024; unit += 1 }
        return unit == 0 ? "\(value) B" : String(format: "%.1f", amount) + " " + units[unit]
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600 ? "\(total / 3600)h\(total / 60 % 60)m" : total >= 60 ? "\(total / 60)m\(total % 60)s" : "\(total)s"
    }
}

extension Duration {
    var inSecondsDouble: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
