import CLibArchive
import OpsSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// libarchive's client callbacks over the OpsSupport byte streams: `ArchiveWriter(sink:)` hands every
// block libarchive emits (after compression) to a `ByteSink`, and `ArchiveReader(source:)` /
// `CompressedStreamReader(source:)` pull blocks from a `ByteSource`. The callbacks are C function
// pointers without captures; the stream travels as the client-data pointer of a box the reader or
// writer keeps alive for the archive handle's whole life.

/// The client data of a writer's callbacks. The sink's own error (an `S3Error`, a `SystemError`) is
/// kept, so the writer throws it instead of libarchive's copy of its text.
final class SinkBox {
    let sink: any ByteSink
    var failure: (any Error)?

    init(_ sink: any ByteSink) { self.sink = sink }
}

/// The client data of a reader's callbacks: the source, the one block buffer libarchive reads from,
/// and the source's own error.
final class SourceBox {
    let source: any ByteSource
    let buffer: UnsafeMutableRawBufferPointer
    var failure: (any Error)?

    init(_ source: any ByteSource, blockSize: Int) {
        self.source = source
        buffer = .allocate(byteCount: max(blockSize, 4096), alignment: 16)
    }

    deinit { buffer.deallocate() }
}

/// `archive_write_callback`: all of `length` bytes go to the sink, or the write fails (-1).
let sinkWriteCallback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeRawPointer?, Int) -> Int = { archive, data, buffer, length in
    guard let data else { return -1 }
    let box = Unmanaged<SinkBox>.fromOpaque(data).takeUnretainedValue()
    guard let buffer, length > 0 else { return 0 }
    do {
        try box.sink.write(UnsafeRawBufferPointer(start: buffer, count: length))
        return length
    } catch {
        if box.failure == nil { box.failure = error }
        if let archive { clibarchive_set_error(archive, EIO, "\(error)") }
        return -1
    }
}

/// `archive_read_callback`: the next block of the source; 0 at its end, -1 on failure.
let sourceReadCallback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<UnsafeRawPointer?>?) -> Int = { archive, data, output in
    guard let data, let output else { return -1 }
    let box = Unmanaged<SourceBox>.fromOpaque(data).takeUnretainedValue()
    do {
        let count = try box.source.read(into: box.buffer)
        output.pointee = UnsafeRawPointer(box.buffer.baseAddress)
        return count
    } catch {
        if box.failure == nil { box.failure = error }
        if let archive { clibarchive_set_error(archive, EIO, "\(error)") }
        return -1
    }
}

/// Opens `archive` for reading from `box`'s source; returns libarchive's status.
func openRead(_ archive: OpaquePointer, from box: SourceBox) -> Int32 {
    archive_read_open(archive, Unmanaged.passUnretained(box).toOpaque(), nil, sourceReadCallback, nil)
}
