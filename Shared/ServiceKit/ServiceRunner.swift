import Domain
import Foundation
public import Hummingbird
public import Logging
import Metrics
public import Kafka
import Messaging
public import Postgres
public import ServiceLifecycle
import UnixSignals

/// What a service's application is built from: its configuration, logger, metrics, token verifier
/// and database. `ServiceRunner` makes one from the environment; tests make their own.
public struct ServiceRuntime: Sendable {
    public var configuration: ServiceConfiguration
    public var logger: Logger
    public var metrics: ServiceMetrics
    public var tokenVerifier: TokenVerifier
    /// The pool on the service's own schema, as its own role.
    public var database: PostgresClient
    /// Topic administration on the service's Kafka cluster.
    public var kafkaAdmin: KafkaAdmin

    public init(configuration: ServiceConfiguration, logger: Logger, metrics: ServiceMetrics, tokenVerifier: TokenVerifier) throws(KafkaError) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.tokenVerifier = tokenVerifier
        database = PostgresClient(configuration: .init(url: configuration.databaseURL), logger: logger)
        kafkaAdmin = try KafkaAdmin(configuration: configuration.kafka, logger: logger)
    }
}

/// Starts one Tongban service: reads its configuration, bootstraps logging and metrics, builds its
/// application and runs it until SIGTERM or SIGINT, when it shuts down gracefully: HTTP first, then
/// the services it was given and finally the database pool, in reverse order of start.
public enum ServiceRunner {
    /// Exit status for a configuration error (sysexits' EX_CONFIG), so supervisors can tell it apart.
    public static let configurationErrorStatus: Int32 = 78

    public static func main<App: ApplicationProtocol>(
        service: ServiceName,
        buildApplication: @Sendable (ServiceRuntime) async throws -> App
    ) async {
        let configuration: ServiceConfiguration
        do {
            configuration = try ServiceConfiguration(service: service)
        } catch {
            FileHandle.standardError.write(Data("\(service.rawValue): configuration error: \(error)\n".utf8))
            exit(configurationErrorStatus)
        }
        bootstrapLogging(configuration)
        let metrics = ServiceMetrics()
        MetricsSystem.bootstrap(metrics.factory)
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
            let verifier = try await TokenVerifier(
                jwks: configuration.tokenVerificationKeys,
                issuer: configuration.tokenIssuer,
                audience: configuration.tokenAudience
            )
            let runtime = try ServiceRuntime(configuration: configuration, logger: logger, metrics: metrics, tokenVerifier: verifier)
            let app = try await buildApplication(runtime)
            try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
            logger.info("stopped")
        } catch let error as ConfigurationError {
            // A setting only the service itself reads (its calendar, its partner registry) is as
            // much a configuration error as one read above: the same exit status for supervisors.
            logger.critical("configuration error", metadata: ["error": "\(error)"])
            exit(configurationErrorStatus)
        } catch let error as CalendarError {
            logger.critical("configuration error", metadata: ["error": "TONGBAN_CALENDAR_DIR: \(error)"])
            exit(configurationErrorStatus)
        } catch {
            // The error's description, never its reflection: database errors keep row data out of it.
            logger.error("stopped by an error", metadata: ["error": "\(error)"])
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

/// The application every service is built on: problem+json errors, request ids, logs and metrics,
/// bearer-token authentication, GET /healthz, /readyz (its database and broker, plus
/// `readinessChecks`), /metrics and /access-log, then the service's own `routes`; staff reads of
/// the routes in `personalData` (`METHOD /template`) are recorded in the access log. The database
/// pool, the topic provisioner, the access log's retention and then `services` (producer,
/// consumers) run beside the HTTP server in that order, and stop in reverse, after HTTP.
public func buildServiceApplication(
    runtime: ServiceRuntime,
    readinessChecks: [any ReadinessCheck] = [],
    services: [any Service] = [],
    personalData: Set<String> = [],
    routes: (Router<TongbanRequestContext>) -> Void = { _ in }
) -> some ApplicationProtocol {
    let configuration = runtime.configuration
    let router = Router(context: TongbanRequestContext.self)
    router.add(middleware: RequestLoggingMiddleware(metrics: runtime.metrics))
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: TextAtTheEdgeMiddleware())
    router.add(middleware: AuthenticationMiddleware(verifier: runtime.tokenVerifier, region: configuration.region.value))
    router.add(middleware: AccessLogMiddleware(routes: personalData, database: runtime.database))

    HealthController(service: configuration.service).addRoutes(to: router)
    ReadinessController(checks: [PostgresReadinessCheck(client: runtime.database), KafkaReadinessCheck(admin: runtime.kafkaAdmin)] + readinessChecks)
        .addRoutes(to: router)
    router.get("metrics") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: runtime.metrics.exposition()))
        )
    }
    AccessLogController(service: configuration.service, database: runtime.database, retentionDays: configuration.accessLogRetentionDays)
        .addRoutes(to: router)
    routes(router)
    // Every route the service answers, once at start-up: an operator checking a deployment, and the
    // test that holds Docs/openapi.yaml to what the code really serves, read it here.
    runtime.logger.debug("routes", metadata: ["http.routes": .array(router.routes.map { .string("\($0.method) \($0.path)") })])

    return Application(
        router: router,
        configuration: .init(
            address: .hostname(configuration.httpHost, port: configuration.httpPort),
            serverName: "tongban-\(configuration.service.rawValue)"
        ),
        services: [
            runtime.database,
            TopicProvisioner(admin: runtime.kafkaAdmin, topics: TopicRegistry.all.map(runtime.topic), logger: runtime.logger),
            AccessLogRetention(database: runtime.database, retentionDays: configuration.accessLogRetentionDays, logger: runtime.logger),
        ] + services,
        logger: runtime.logger
    )
}

/// GET /healthz: the process is alive and serving HTTP. Readiness (its dependencies) is /readyz.
public struct HealthController<Context: RequestContext>: Sendable {
    public let service: ServiceName

    public init(service: ServiceName) {
        self.service = service
    }

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
