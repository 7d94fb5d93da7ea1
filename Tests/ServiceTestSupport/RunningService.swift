import Foundation
public import ServiceKit
public import TestSupport
public import TongbanClient

/// One of a test region's services running as its real executable (the build's binary), with the
/// environment an operator would give it: the whole-system and two-region tests drive these over
/// HTTP only, as their users do. The process is killed when this is released.
public final class RunningService: Sendable {
    public let service: ServiceName
    public let process: ServiceProcess
    public let environment: [String: String]
    public let client: ServiceClient

    init(service: ServiceName, environment: [String: String]) async throws {
        self.service = service
        self.environment = environment
        process = try ServiceProcess(executable: service.rawValue, environment: environment)
        let port = try await process.listeningPort(timeout: .seconds(90))
        client = ServiceClient(baseURL: URL(string: "http://127.0.0.1:\(port)")!)
    }

    /// Stops it as an operator does (SIGTERM) and returns its exit status.
    @discardableResult
    public func stop() async throws -> Int32 {
        process.signal(SIGTERM)
        return try await process.waitForExit()
    }

    /// Whether the service says it is ready: its database and broker reachable.
    public func isReady() async -> Bool {
        (try? await client.get("/readyz").status) == 200
    }
}

extension TestRegion {
    /// Starts `service` of this region as its executable, on a schema and role of its own, and
    /// waits until it listens. `environment` adds the service's own settings.
    public func start(_ service: ServiceName, environment extra: [String: String] = [:]) async throws -> RunningService {
        let defaults = service == .seal ? ["TONGBAN_SEAL_KEY_ENCRYPTION_KEY": Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()] : [:]
        return try await RunningService(service: service, environment: environment(for: service, extra: defaults.merging(extra) { $1 }))
    }

    /// The same service started again: same schema, role, keys and namespace (a restart).
    public func restart(_ running: RunningService) async throws -> RunningService {
        try await RunningService(service: running.service, environment: running.environment)
    }
}
