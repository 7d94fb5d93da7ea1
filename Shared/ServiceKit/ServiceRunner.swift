import Foundation
public import Hummingbird
public import Logging
import ServiceLifecycle
import UnixSignals

/// Starts one Tongban service: reads its configuration, bootstraps logging, builds its application
/// and runs it until SIGTERM or SIGINT, when it shuts down gracefully (HTTP first, then whatever
/// the application's services hold, in reverse order of start).
public enum ServiceRunner {
    /// Exit status for a configuration error (sysexits' EX_CONFIG), so supervisors can tell it apart.
    public static let configurationErrorStatus: Int32 = 78

    public static func main<App: ApplicationProtocol>(
        service: ServiceName,
        buildApplication: @Sendable (ServiceConfiguration, Logger) async throws -> App
    ) async {
        let configuration: ServiceConfiguration
        do {
            configuration = try ServiceConfiguration(service: service)
        } catch {
            FileHandle.standardError.write(Data("\(service.rawValue): configuration error: \(error)\n".utf8))
            exit(configurationErrorStatus)
        }
        bootstrapLogging(configuration)
        var logger = Logger(label: "tongban.\(service.rawValue)")
        logger.logLevel = configuration.logLevel
        logger.info(
            "starting",
            metadata: [
                "http.address": "\(configuration.httpHost):\(configuration.httpPort)",
                "database.url": "\(configuration.redactedDatabaseURL)",
                "kafka.bootstrap_servers": "\(configuration.kafkaBootstrapServers)",
            ]
        )
        do {
            let app = try await buildApplication(configuration, logger)
            try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
            logger.info("stopped")
        } catch {
            logger.error("stopped by an error", metadata: ["error": "\(String(reflecting: error))"])
            exit(1)
        }
    }

    static func bootstrapLogging(_ configuration: ServiceConfiguration) {
        let level = configuration.logLevel
        switch configuration.logFormat {
        case .json:
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                handler[metadataKey: "service"] = .string(configuration.service.rawValue)
                return handler
            }
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}

/// The routes every service answers, whatever else it does.
public struct HealthController<Context: RequestContext>: Sendable {
    public let service: ServiceName

    public init(service: ServiceName) {
        self.service = service
    }

    /// GET /healthz: the process is alive and serving HTTP. Readiness (its dependencies) is /readyz.
    public func addRoutes(to router: Router<Context>) {
        let body = HealthStatus(status: "pass", service: service.rawValue)
        router.get("healthz") { _, _ in body }
    }
}

public struct HealthStatus: ResponseCodable, Equatable, Sendable {
    public var status: String
    public var service: String

    public init(status: String, service: String) {
        self.status = status
        self.service = service
    }
}

/// The application every service starts from: its health routes, bound to the configured address.
public func buildServiceApplication(
    configuration: ServiceConfiguration,
    logger: Logger,
    routes: (Router<BasicRequestContext>) -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = Router()
    HealthController(service: configuration.service).addRoutes(to: router)
    routes(router)
    return Application(
        router: router,
        configuration: .init(
            address: .hostname(configuration.httpHost, port: configuration.httpPort),
            serverName: "tongban-\(configuration.service.rawValue)"
        ),
        logger: logger
    )
}
