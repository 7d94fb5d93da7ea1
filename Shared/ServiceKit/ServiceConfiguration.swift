public import Domain
public import Foundation
public import Kafka
public import Logging

/// The five services of Tongban, with the HTTP port each takes by default on a developer's machine.
public enum ServiceName: String, Sendable, CaseIterable {
    case intake, relay, approval, seal, evaluation

    public var defaultHTTPPort: Int {
        switch self {
        case .intake: 8081
        case .relay: 8082
        case .approval: 8083
        case .seal: 8084
        case .evaluation: 8085
        }
    }
}

/// How log lines are written: one JSON object per line for machines, or plain text for a terminal.
public enum LogFormat: String, Sendable {
    case json, text
}

/// What every service reads from its environment at start-up. Defaults fit the local set-up
/// (`Scripts/run.sh`); a malformed value stops the service with a message naming the variable.
public struct ServiceConfiguration: Sendable {
    public var service: ServiceName
    public var httpHost: String
    public var httpPort: Int
    /// libpq connection URI. It may carry a password, so log `redactedDatabaseURL` instead.
    public var databaseURL: String
    /// librdkafka `bootstrap.servers`.
    public var kafkaBootstrapServers: String
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    /// The JSON Web Key Set that bearer tokens are verified with (public keys only).
    public var tokenVerificationKeys: String
    /// Tokens must carry this `iss` …
    public var tokenIssuer: String
    /// … and this `aud`.
    public var tokenAudience: String
    /// librdkafka settings passed through from TONGBAN_KAFKA_* variables (other than BOOTSTRAP_SERVERS).
    public var kafkaSettings: [String: String]
    /// The home region this deployment serves (GB/T 2260), e.g. 130100 石家庄市.
    public var region: DivisionCode
    /// The schema the service owns and migrates; its role's own name unless told otherwise.
    public var databaseSchema: String
    /// Prefix for every topic name when several environments share one Kafka cluster; usually empty.
    public var topicNamespace: String
    /// How long the access log keeps a staff read of personal data, in days (at least the six
    /// months that 网络安全法 第二十一条 asks of network logs).
    public var accessLogRetentionDays: Int

    public init(service: ServiceName, environment: EnvironmentVariables = .process) throws(ConfigurationError) {
        self.service = service
        httpHost = try environment.string("TONGBAN_HTTP_HOST", default: "127.0.0.1")
        httpPort = try environment.integer("TONGBAN_HTTP_PORT", default: service.defaultHTTPPort, in: 0...65535)
        databaseURL = try environment.string(
            "TONGBAN_DATABASE_URL",
            default: "postgresql://\(service.rawValue)@127.0.0.1:55432/tongban"
        )
        kafkaBootstrapServers = try environment.string("TONGBAN_KAFKA_BOOTSTRAP_SERVERS", default: "127.0.0.1:19092")
        logLevel = try environment.choice("TONGBAN_LOG_LEVEL", default: .info)
        logFormat = try environment.choice("TONGBAN_LOG_FORMAT", default: .json)
        tokenVerificationKeys = try environment.jsonWebKeySet()
        tokenIssuer = try environment.string("TONGBAN_TOKEN_ISSUER", default: "tongban-local")
        tokenAudience = try environment.string("TONGBAN_TOKEN_AUDIENCE", default: "tongban")
        kafkaSettings = environment.librdkafkaSettings()
        let regionText = try environment.string("TONGBAN_REGION", default: "130100")
        do {
            region = try DivisionCode(regionText)
        } catch {
            throw ConfigurationError(variable: "TONGBAN_REGION", problem: "'\(regionText)' \(error)")
        }
        databaseSchema = try environment.identifier("TONGBAN_DATABASE_SCHEMA", default: service.rawValue)
        topicNamespace = try environment.topicNamespace("TONGBAN_TOPIC_NAMESPACE")
        accessLogRetentionDays = try environment.integer("TONGBAN_ACCESS_LOG_RETENTION_DAYS", default: 365, in: 180...3650)
    }

    /// The service's Kafka client settings; TLS and SASL for a secured cluster go in through
    /// TONGBAN_KAFKA_<SETTING> variables, e.g. TONGBAN_KAFKA_SASL_MECHANISM → sasl.mechanism.
    public var kafka: KafkaConfiguration {
        var kafka = KafkaConfiguration(bootstrapServers: kafkaBootstrapServers)
        kafka.clientID = "tongban-\(service.rawValue)"
        kafka.additionalSettings = kafkaSettings
        return kafka
    }

    /// The database URL with any password replaced, safe to log.
    public var redactedDatabaseURL: String {
        redactingPassword(in: databaseURL)
    }
}

/// Replaces the password in `scheme://user:password@host…` with `***`.
func redactingPassword(in url: String) -> String {
    guard let schemeEnd = url.range(of: "://"),
          let at = url[schemeEnd.upperBound...].firstIndex(of: "@"),
          let colon = url[schemeEnd.upperBound..<at].firstIndex(of: ":")
    else { return url }
    return String(url[..<url.index(after: colon)]) + "***" + String(url[at...])
}

/// A start-up error that names the variable and what was wrong with its value.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public var variable: String
    public var problem: String

    /// Services name their own settings' problems too.
    public init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String { "\(variable): \(problem)" }
}

/// A snapshot of environment variables, so that tests can pass their own.
public struct EnvironmentVariables: Sendable {
    public var values: [String: String]

    public init(_ values: [String: String]) {
        self.values = values
    }

    public static var process: EnvironmentVariables {
        EnvironmentVariables(ProcessInfo.processInfo.environment)
    }

    public func string(_ name: String, default defaultValue: String) throws(ConfigurationError) -> String {
        guard let value = values[name] else { return defaultValue }
        guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ConfigurationError(variable: name, problem: "is set but empty")
        }
        return value
    }

    public func integer(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let raw = values[name] else { return defaultValue }
        guard let value = Int(raw.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ConfigurationError(variable: name, problem: "'\(raw)' is not a whole number")
        }
        guard range.contains(value) else {
            throw ConfigurationError(variable: name, problem: "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// TONGBAN_CALENDAR_DIR: a folder of working-day calendar files (`<region>.json`) used instead of
    /// those that ship in Shared/Domain/Calendars; nil when unset. Every service that reckons
    /// working days reads it here.
    public var calendarDirectory: URL? {
        values["TONGBAN_CALENDAR_DIR"].map { URL(fileURLWithPath: $0, isDirectory: true) }
    }

    /// A PostgreSQL identifier of our own making: lower-case letters, digits and underscores.
    func identifier(_ name: String, default defaultValue: String) throws(ConfigurationError) -> String {
        let value = try string(name, default: defaultValue)
        guard value.count <= 63, value.first.map({ $0.isLetter }) == true,
              value.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        else {
            throw ConfigurationError(variable: name, problem: "'\(value)' is not a schema name (a-z, 0-9 and _, starting with a letter)")
        }
        return value
    }

    /// Empty when unset; otherwise characters Kafka allows in topic names, without a leading dot.
    func topicNamespace(_ name: String) throws(ConfigurationError) -> String {
        guard let value = values[name], !value.isEmpty else { return "" }
        guard value.count <= 100, value.first != ".",
              value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") })
        else {
            throw ConfigurationError(variable: name, problem: "'\(value)' is not a topic namespace (letters, digits, '.', '_' and '-')")
        }
        return value
    }

    /// The token verification keys: inline in TONGBAN_TOKEN_JWKS, or in the file TONGBAN_TOKEN_JWKS_FILE
    /// names. There is no default: a service must never accept tokens signed by a key nobody chose.
    func jsonWebKeySet() throws(ConfigurationError) -> String {
        if let inline = values["TONGBAN_TOKEN_JWKS"] {
            guard inline.contains("\"keys\"") else {
                throw ConfigurationError(variable: "TONGBAN_TOKEN_JWKS", problem: "is not a JSON Web Key Set")
            }
            return inline
        }
        guard let path = values["TONGBAN_TOKEN_JWKS_FILE"] else {
            throw ConfigurationError(
                variable: "TONGBAN_TOKEN_JWKS_FILE",
                problem: "is not set; point it at the token verification keys (`tongban token keygen` makes a pair)"
            )
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8),
              text.contains("\"keys\"")
        else {
            throw ConfigurationError(variable: "TONGBAN_TOKEN_JWKS_FILE", problem: "'\(path)' is not a readable JSON Web Key Set")
        }
        return text
    }

    /// `TONGBAN_KAFKA_SECURITY_PROTOCOL=sasl_ssl` → `security.protocol=sasl_ssl`: everything librdkafka
    /// accepts, so a secured production cluster needs no code change.
    public func librdkafkaSettings() -> [String: String] {
        var settings: [String: String] = [:]
        for (name, value) in values where name.hasPrefix("TONGBAN_KAFKA_") && name != "TONGBAN_KAFKA_BOOTSTRAP_SERVERS" && name != "TONGBAN_KAFKA_PORT" {
            settings[name.dropFirst("TONGBAN_KAFKA_".count).lowercased().replacingOccurrences(of: "_", with: ".")] = value
        }
        return settings
    }

    /// A value out of a fixed set, such as a log level.
    public func choice<Choice: RawRepresentable & CaseIterable>(
        _ name: String,
        default defaultValue: Choice
    ) throws(ConfigurationError) -> Choice where Choice.RawValue == String {
        guard let raw = values[name] else { return defaultValue }
        guard let value = Choice(rawValue: raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()) else {
            let allowed = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError(variable: name, problem: "'\(raw)' is not one of \(allowed)")
        }
        return value
    }
}

extension LogFormat: CaseIterable {}
