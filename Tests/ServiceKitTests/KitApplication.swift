import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceKit
import ServiceTestSupport
import Synchronization
import TestSupport
import Testing
import TongbanClient

/// A small application built with the kit, the way every service is: a department's decision route,
/// an applicant's case, and a route that fails the way a database might.
struct KitApplication {
    let signingKey = TokenSigningKey.generate()
    let log = LogCapture()
    let metrics = ServiceMetrics()

    var logLines: [String] { log.lines.withLock { $0 } }

    func runtime(service: ServiceName = .approval, databaseURL: String = TestInfrastructure.adminDatabaseURL) async throws -> ServiceRuntime {
        let configuration = try ServiceConfiguration(service: service, environment: EnvironmentVariables([
            "TONGBAN_DATABASE_URL": databaseURL,
            "TONGBAN_TOKEN_JWKS": signingKey.verificationJWKS,
            "TONGBAN_HTTP_PORT": "0",
            "TONGBAN_KAFKA_BOOTSTRAP_SERVERS": TestInfrastructure.kafkaBootstrapServers,
        ]))
        let sink = LogSink { [log] line in log.lines.withLock { $0.append(line) } }
        var logger = Logger(label: "tongban.test") { JSONLogHandler(label: $0, sink: sink) }
        logger.logLevel = .debug
        let verifier = try await TokenVerifier(jwks: signingKey.verificationJWKS, issuer: "tongban-local", audience: "tongban")
        return try ServiceRuntime(configuration: configuration, logger: logger, metrics: metrics, tokenVerifier: verifier)
    }

    func build(databaseURL: String = TestInfrastructure.adminDatabaseURL) async throws -> some ApplicationProtocol {
        buildServiceApplication(runtime: try await runtime(databaseURL: databaseURL)) { router in
            router.post("departments/{department}/tasks/{task}/decision") { request, context in
                let officer = try context.requirePrincipal(.officer)
                try officer.requireOwnDepartment(context.parameters.require("department"), notFound: "No such task.")
                let decision = try await request.decode(as: Decision.self, context: context)
                return DecisionRecorded(task: try context.parameters.require("task"), outcome: decision.outcome, by: officer.subject)
            }
            router.get("cases/{number}") { _, context in
                let applicant = try context.requirePrincipal(.applicant)
                // In the service this comes from its own table.
                let owner = "91350100M000100Y43"
                guard applicant.isApplicant(identifiedBy: owner) else { throw Problem.notFound("No such case.") }
                return ["number": try context.parameters.require("number"), "owner": owner]
            }
            router.get("failing") { _, _ -> String in
                throw StorageFailure(statement: "SELECT * FROM intake.cases WHERE id_number = '130102199003074578'")
            }
        }
    }

    func token(_ principal: Principal, lifetime: Duration = .seconds(600), now: Date = Date(), key: TokenSigningKey? = nil, issuer: String = "tongban-local") async throws -> String {
        try await (key ?? signingKey).issueToken(for: principal, issuer: issuer, audience: "tongban", lifetime: lifetime, now: now)
    }

    static let officer = Principal(subject: "officer-17", role: .officer, region: "130100", department: "market-regulation")
}

final class LogCapture: Sendable {
    let lines = Mutex<[String]>([])
}

struct Decision: Decodable {
    var outcome: String
    var legalBasis: String
    var workingDays: Int
}

struct DecisionRecorded: ResponseCodable {
    var task: String
    var outcome: String
    var by: String
}

struct StorageFailure: Error, CustomStringConvertible {
    var statement: String
    var description: String { "storage failed running \(statement)" }
}


func bearer(_ token: String) -> HTTPFields {
    [.authorization: "Bearer \(token)", .contentType: "application/json"]
}
