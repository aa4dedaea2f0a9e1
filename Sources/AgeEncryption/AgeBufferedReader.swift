import OpsSupport

/// Reads an inner `ByteSource` with a small read-ahead buffer: header lines, then exact-size reads of the
/// payload. Never holds more than one read-ahead block beyond what the caller asked for.
final class AgeBufferedReader {
    private let source: any ByteSource
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    /// Set when the last `readLine` gave up because the line exceeded its limit.
    private(set) var hitLimit = false
    private static let blockSize = 4096

    init(_ source: any ByteSource) { self.source = source }

    var pendingCount: Int { buffer.count - start }

    /// Reads more from the source; false at its end.
    private func fill() throws -> Bool {
        if atEnd { return false }
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        var block = [UInt8](repeating: 0, count: Self.blockSize)
        let n = try block.withUnsafeMutableBytes { try source.read(into: $0) }
        if n == 0 {
            atEnd = true
            return false
        }
        buffer += block[..<n]
        return true
    }

    /// The next line including its LF, or nil at the end of the source before a LF (or beyond `limit`).
    func readLine(limit: Int) throws -> [UInt8]? {
        hitLimit = false
        var searched = start
        while true {
            if let lf = buffer[searched...].firstIndex(of: 0x0a) {
                guard lf - start + 1 <= limit else {
                    hitLimit = true
                    return nil
                }
                let line = Array(buffer[start...lf])
                start = lf + 1
                return line
            }
            if buffer.count - start >= limit {
                hitLimit = true
                return nil
            }
            searched = buffer.count
            let before = start
            guard try fill() else { return nil }
            searched -= before - start  // fill() may have compacted the buffer
        }
    }

    /// The next `count` bytes without consuming them (fewer at the end of the source).
    func peek(_ count: Int) throws -> [UInt8] {
        while buffer.count - start < count, try fill() {}
        return Array(buffer[start..<min(buffer.count, start + count)])
    }

    /// Fills `destination` as far as the source allows; returns the number of bytes.
    func readFully(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        let buffered = min(buffer.count - start, destination.count)
        if buffered > 0 {
            buffer.withUnsafeBytes { bytes in
                destination.baseAddress!.copyMemory(from: bytes.baseAddress! + start, byteCount: buffered)
            }
            start += buffered
            filled = buffered
            if start == buffer.count {
                buffer.removeAll(keepingCapacity: false)
                start = 0
            }
        }
        while filled < destination.count, !atEnd {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: destination[filled...]))
            if n == 0 { atEnd = true } else { filled += n }
        }
        return filled
    }

    func close() { source.close() }
}
