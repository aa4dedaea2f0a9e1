import AgeEncryption
import ObjectStore
import OpsSupport

/// An error of a repository operation: a stable kind (which decides the exit code) and one line a
/// human can act on, free of secrets (S3 keys and age identities never reach it: `S3Error` and
/// `AgeError` are built without them, and this type only copies their messages).
package struct RepositoryError: Error, CustomStringConvertible, Sendable {
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case usage, notFound, authentication, unreachable, identity, damaged, io
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A malformed repository URL, name, S3 setting or rate (exit 2).
        package static let usage = Code(.usage)
        /// The repository, bucket or object does not exist (exit 2, as a missing backup is).
        package static let notFound = Code(.notFound)
        /// The store refused our credentials (exit 3).
        package static let authentication = Code(.authentication)
        /// The store could not be reached, or kept failing after the retries (exit 3).
        package static let unreachable = Code(.unreachable)
        /// A missing, unreadable or non-matching age identity or recipient (exit 2).
        package static let identity = Code(.identity)
        /// The object's bytes are wrong: an age chunk that does not authenticate, a truncated file, a
        /// length the store did not announce (exit 1).
        package static let damaged = Code(.damaged)
        /// Anything else: a disk error, a refused request (exit 1).
        package static let io = Code(.io)

        package var description: String { base.rawValue }
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }

    /// The exit code this error ends a command with (README, "Exit codes"): 2 for bad input, a
    /// missing object or identity; 3 for a store that refuses us or cannot be reached; 1 otherwise.
    package var exitCode: Int32 {
        switch code {
        case .usage, .notFound, .identity: return 2
        case .authentication, .unreachable: return 3
        default: return 1
        }
    }

    /// The repository's view of any error its operations, sinks and sources throw: `S3Error`,
    /// `SystemError`, `AgeError` are classified; other errors give nil (the caller keeps them).
    package static func classify(_ error: any Error) -> RepositoryError? {
        switch error {
        case let error as RepositoryError:
            return error
        case let error as S3Error:
            switch error.code {
            case .configuration: return RepositoryError(.usage, error.message)
            case .authentication: return RepositoryError(.authentication, error.message)
            case .unreachable: return RepositoryError(.unreachable, error.message)
            case .notFound: return RepositoryError(.notFound, error.message)
            case .integrity, .preconditionFailed: return RepositoryError(.damaged, error.message)
            default: return RepositoryError(.io, error.message)
            }
        case let error as SystemError:
            return RepositoryError(error.errno == ENOENT ? .notFound : .io, error.description)
        case let error as AgeError:
            if error.isPayloadFailure || error.isHeaderFailure || error.code == .headerMACMismatch {
                return RepositoryError(.damaged, "the encrypted file is damaged or was altered: \(error.message)")
            }
            return RepositoryError(.identity, error.message)
        default:
            return nil
        }
    }

}

#if canImport(Glibc)
import Glibc
#endif
