import Foundation
import Logging
import OpsSupport

extension JobRunner {
    /// The job body's result and how many attempts it took.
    struct BodyResult: Sendable {
        var result: Result<JobOutcome, any Error>
        var attempts: Int
    }

    private enum BodyEvent: Sendable {
        case finished(BodyResult)
        case timedOut
        case timerStopped
    }

    /// Runs the job with retries for transient failures, cancelled when `options.timeout` elapses or the
    /// calling task is cancelled. Cancellation is cooperative: the job's task is cancelled (its PostgreSQL
    /// statements are cancelled by the client, its files are only published by `AtomicFile` renames) and
    /// this waits for it to unwind, so nothing is left half-done when the run is recorded.
    static func runBody(_ job: some OpsJob, context: JobContext, options: RunOptions) async -> BodyResult {
        let timeout = options.timeout
        var outcome = BodyResult(result: .failure(CancellationError()), attempts: 0)
        var timedOut = false
        await withTaskGroup(of: BodyEvent.self) { group in
            group.addTask { .finished(await attempts(job, context: context, retry: options.retry)) }
            if let timeout {
                group.addTask {
                    do {
                        try await Task.sleep(for: timeout)
                        return .timedOut
                    } catch {
                        return .timerStopped
                    }
                }
            }
            for await event in group {
                switch event {
                case .finished(let result):
                    outcome = result
                    group.cancelAll()
                case .timedOut:
                    timedOut = true
                    context.logger.warning("timed out after \(format(timeout!)); cancelling")
                    group.cancelAll()
                case .timerStopped:
                    break
                }
            }
        }
        if case .failure = outcome.result {
            if timedOut {
                outcome.result = .failure(OpsError(.jobFailed, "\(job.name) timed out after \(format(timeout!)) and was cancelled"))
            } else if Task.isCancelled {
                outcome.result = .failure(OpsError(.jobFailed, "\(job.name) was cancelled (shutting down)"))
            }
        }
        return outcome
    }

    /// Calls the job until it succeeds, fails for a non-transient reason, or runs out of attempts.
    private static func attempts(_ job: some OpsJob, context: JobContext, retry: RetryPolicy) async -> BodyResult {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return BodyResult(result: .success(try await job.run(context)), attempts: attempt)
            } catch {
                guard attempt < retry.maxAttempts, RetryPolicy.isTransient(error), !Task.isCancelled else {
                    return BodyResult(result: .failure(error), attempts: attempt)
                }
                let delay = retry.delay(afterAttempt: attempt)
                context.logger.warning("attempt \(attempt) of \(retry.maxAttempts) failed, retrying in \(format(delay)): \(Stores.opsError(error))")
                do { try await Task.sleep(for: delay) } catch { return BodyResult(result: .failure(error), attempts: attempt) }
            }
        }
    }

    static func format(_ duration: Duration) -> String {
        let seconds = duration.inSeconds
        return seconds == seconds.rounded() ? "\(Int64(seconds))s" : String(format: "%.1fs", seconds)
    }
}
