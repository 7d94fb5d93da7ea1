import ArgumentParser
import Foundation
import Postgres
import ServiceKit

/// `tongban database …`: the operator's side of Tongban's one PostgreSQL database.
struct Database: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set up and migrate Tongban's PostgreSQL database.",
        subcommands: [DatabaseSetup.self, DatabaseMigrate.self]
    )
}

/// `tongban database setup`: a login role and a schema of its own for every service.
struct DatabaseSetup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Create or update each service's login role and schema (idempotent).",
        discussion: """
            Each service (intake, relay, approval, seal, evaluation) gets a login role and a schema \
            of the same name; the role owns its schema, reads it first in its search_path, and \
            cannot use any other service's schema. Each role's password comes from \
            TONGBAN_<SERVICE>_DB_PASSWORD (default for local runs: <service>-local-password) and is \
            sent to the server only as a SCRAM verifier. Passwords are never printed.
            """
    )

    @Option(
        name: .customLong("admin-url"),
        help: ArgumentHelp(
            "libpq URL of a role that may create roles (default: TONGBAN_ADMIN_DATABASE_URL).",
            discussion: "Prefer the environment variable: a command line is visible to every user of the machine."
        )
    )
    var adminURL: String?

    @Option(help: "Name each role and schema <prefix>_<service>: a second region's services beside the first on one local database (Scripts/run.sh's partner region uses beijing). Their passwords are then the local defaults <prefix>-<service>-local-password.")
    var prefix: String?

    func validate() throws {
        if let prefix, prefix.isEmpty || !prefix.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber) }) {
            throw ValidationError("--prefix must be lower-case letters and digits")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let url = adminURL ?? environment["TONGBAN_ADMIN_DATABASE_URL"] else {
            throw ValidationError("no admin database URL: set TONGBAN_ADMIN_DATABASE_URL or pass --admin-url")
        }
        var schemas: [PostgresServiceSchema] = []
        var passwordSources: [String] = []
        for service in ServiceName.allCases {
            let variable = "TONGBAN_\(service.rawValue.uppercased())_DB_PASSWORD"
            if let prefix {
                schemas.append(PostgresServiceSchema(name: "\(prefix)_\(service.rawValue)", password: "\(prefix)-\(service.rawValue)-local-password"))
                passwordSources.append("default local password")
            } else if let password = environment[variable], !password.isEmpty {
                schemas.append(PostgresServiceSchema(name: service.rawValue, password: password))
                passwordSources.append("password from \(variable)")
            } else {
                schemas.append(PostgresServiceSchema(name: service.rawValue, password: "\(service.rawValue)-local-password"))
                passwordSources.append("default local password (set \(variable) outside a developer's machine)")
            }
        }
        var configuration = PostgresClient.Configuration(url: url)
        configuration.maximumConnections = 1
        let client = PostgresClient(configuration: configuration)
        defer { client.close() }
        do {
            try await PostgresServiceSchema.setUp(schemas, on: client)
        } catch let error as PostgresError {
            throw DatabaseCommandError(description: "database setup failed: \(error.code): \(error.message ?? "")")
        }
        for (schema, source) in zip(schemas, passwordSources) {
            print("\(schema.name.padding(toLength: 19, withPad: " ", startingAt: 0)) role and schema ready; \(source)")
        }
    }
}

/// `tongban database migrate SERVICE --directory DIR`: applies a service's migrations as that service.
struct DatabaseMigrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply a service's pending migrations to its schema.",
        discussion: """
            Connects as the service itself (TONGBAN_DATABASE_URL, or --database-url), so that what \
            the migrations create belongs to the service's role. Several instances may migrate at \
            once: an advisory lock per schema applies each migration exactly once. A migration that \
            was applied and has since been changed stops everything, naming the file.
            """
    )

    @Argument(help: "The service whose schema to migrate: \(ServiceName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var service: String

    @Option(help: "The folder of NNNN_name.sql files.")
    var directory: String

    @Option(
        name: .customLong("database-url"),
        help: "libpq URL of the service's own role (default: TONGBAN_DATABASE_URL)."
    )
    var databaseURL: String?

    func run() async throws {
        guard let service = ServiceName(rawValue: service) else {
            throw ValidationError("unknown service '\(service)'")
        }
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["TONGBAN_DATABASE_URL"] else {
            throw ValidationError("no database URL: set TONGBAN_DATABASE_URL or pass --database-url")
        }
        let migrator = try PostgresMigrator(schema: service.rawValue, directory: URL(fileURLWithPath: directory, isDirectory: true))
        var configuration = PostgresClient.Configuration(url: url)
        configuration.maximumConnections = 1
        let client = PostgresClient(configuration: configuration)
        defer { client.close() }
        let applied: [PostgresMigration]
        do {
            applied = try await migrator.migrate(on: client)
        } catch PostgresMigrationError.failed(let schema, let file, let error) {
            throw DatabaseCommandError(description: "migration \(file) failed on schema \(schema): \(error.code): \(error.message ?? "")")
        } catch let error as PostgresError {
            throw DatabaseCommandError(description: "migration failed: \(error.code): \(error.message ?? "")")
        }
        for migration in applied { print("applied \(migration.fileName)") }
        print("\(service.rawValue): \(applied.count) migration\(applied.count == 1 ? "" : "s") applied, \(migrator.migrations.count) in all")
    }
}

/// A failure the operator can act on, printed as a sentence (no data from rows, no passwords).
struct DatabaseCommandError: Error, CustomStringConvertible {
    var description: String
}
