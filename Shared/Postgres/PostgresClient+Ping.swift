import CLibPQ
import Foundation
import Plumbing

/// What `PostgresClient.ping()` found.
public enum PostgresPing: Sendable, Equatable {
    /// The server accepts connections.
    case accepting
    /// The server is there but refuses connections (starting up, shutting down, in recovery).
    case rejecting
    /// Nothing answered within the timeout.
    case noResponse
    /// The connection settings themselves are unusable.
    case invalidSettings
}

extension PostgresClient {
    /// Whether the server accepts connections, asked with libpq's PQping: nothing is authenticated and
    /// no pooled connection is used, so a readiness probe neither leaks credentials nor waits behind work.
    public func ping(timeout: Duration = .seconds(2)) async -> PostgresPing {
        let parameters = [
            ("dbname", configuration.url),
            ("connect_timeout", String(max(1, timeout.components.seconds))),
        ]
        let thread = BlockingThread(name: "postgres-ping")
        defer { thread.stop() }
        let status = try? await thread.run { () throws(PostgresError) -> PGPing in
            let keywords = parameters.map { strdup($0.0) } + [nil]
            let values = parameters.map { strdup($0.1) } + [nil]
            defer {
                keywords.forEach { free($0) }
                values.forEach { free($0) }
            }
            return keywords.map { UnsafePointer($0) }.withUnsafeBufferPointer { keywordPointers in
                values.map { UnsafePointer($0) }.withUnsafeBufferPointer { valuePointers in
                    PQpingParams(keywordPointers.baseAddress, valuePointers.baseAddress, 1)
                }
            }
        }
        switch status {
        case PQPING_OK: return .accepting
        case PQPING_REJECT: return .rejecting
        case PQPING_NO_RESPONSE: return .noResponse
        default: return .invalidSettings
        }
    }
}
