import Dispatch
import Foundation

/// SIGHUP → ``SchedulerService/reload()``, the way cron daemons and nginx reload their configuration.
///
/// A dispatch signal source, not a C signal handler: the handler runs on a dispatch queue, where calling
/// into Swift is safe. The signal's default action (terminate) is ignored while the source exists.
/// `@unchecked Sendable`: the source is created once and only resumed and cancelled, which Dispatch allows
/// from any thread.
package final class ReloadSignal: @unchecked Sendable {
    private let source: any DispatchSourceSignal

    /// Starts delivering SIGHUP to `handler` until ``cancel()``.
    package init(handler: @escaping @Sendable () -> Void) {
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "auto-i18n-ops.sighup"))
        source.setEventHandler(handler: handler)
        source.resume()
    }

    package func cancel() {
        source.cancel()
    }
}
