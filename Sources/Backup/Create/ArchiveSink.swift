import ArchiveIO
import Foundation
import OpsCore
import OpsSupport

/// The archive thread of `backup create`: writes each member as it arrives, then `manifest.json` as the
/// last member, and finishes the archive (end marker, compressor flush) into the byte sink (a local
/// file, an S3 multipart upload, through age encryption when asked). The caller publishes the sink.
///
/// Runs on a thread of its own (`BlockingIO.run`): libarchive's calls block, and its zstd workers
/// compress while the COPY connections keep streaming.
enum ArchiveSink {
    /// How much of a member is compressed between two looks at the channel's failure.
    static let sliceBytes = 1 << 20

    /// - Parameters:
    ///   - sink: where the archive's bytes go, owned (published or discarded) by the caller.
    ///   - label: the final path or URL, for errors.
    ///   - compression: the filter.
    ///   - channel: members in archive order, ended by a `.manifest` item.
    ///   - buffers: where data members' buffers go back once written (nil: they are freed).
    /// - Returns: the manifest written as the last member, and its bytes.
    static func run(sink: any ByteSink, label: String, compression: ArchiveCompression,
                    channel: HandoffChannel<SinkItem>, buffers: MemberBuffers? = nil) throws -> (BackupManifest, Data) {
        do {
            let writer = try ArchiveWriter(sink: sink, compression: compression, label: label)
            var written: [BackupManifest.Member] = []
            let now = Date()
            while let item = try channel.receiveBlocking() {
                switch item {
                case .member(let member):
                    try writer.beginEntry(name: member.name, size: Int64(member.body.count), modificationTime: now)
                    // In slices, so that a cancelled or failed backup stops compressing within one slice
                    // (at zstd level 19 a whole member can take seconds).
                    try member.body.withUnsafeBytes { body in
                        var offset = 0
                        while offset < body.count {
                            try channel.checkNotFailed()
                            let end = min(offset + sliceBytes, body.count)
                            try writer.write(UnsafeRawBufferPointer(rebasing: body[offset..<end]))
                            offset = end
                        }
                    }
                    try writer.finishEntry()
                    written.append(member.manifestEntry)
                    if member.kind == .data {
                        // The writer has copied the body (into the compressor's input): it can be refilled.
                        buffers?.give(member.body)
                        CrashPoint.reach("backup-data-member-written")
                    }
                case .manifest(let make):
                    let manifest = try make(written)
                    let data = try manifest.encoded()
                    try writer.addEntry(name: BackupManifest.memberName, contents: [UInt8](data), modificationTime: now)
                    try writer.finish()
                    // What readers will see (dates in the manifest's precision), not the in-memory value.
                    return (try BackupManifest.decode(data, source: label), data)
                }
            }
            throw BackupError(.io, "backup failed: the archive ended without a manifest")
        } catch {
            // Wakes the COPY connections waiting to hand over a chunk.
            channel.fail(error)
            throw error
        }
    }
}
