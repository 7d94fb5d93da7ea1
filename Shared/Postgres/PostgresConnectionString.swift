import CLibPQ

/// A libpq connection string (`postgresql://user:password@host:port/db?…` or `host=… user=…`),
/// parsed by libpq itself, so it reads exactly what a connection would use.
public struct PostgresConnectionString: Sendable, CustomStringConvertible {
    /// Every keyword the string sets, e.g. "host", "port", "user", "dbname", "password".
    public let parameters: [String: String]

    public init(_ string: String) throws(PostgresError) {
        var message: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(string, &message) else {
            let reason = message.map { String(cString: $0) } ?? "out of memory"
            if let message { PQfreemem(message) }
            throw PostgresError(.invalidArgument, message: "not a libpq connection string: \(reason)")
        }
        defer { PQconninfoFree(options) }
        var parameters: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                parameters[String(cString: keyword)] = String(cString: value)
            }
            option += 1
        }
        self.parameters = parameters
    }

    public subscript(keyword: String) -> String? { parameters[keyword] }

    /// The parameters with the password left out, safe to log.
    public var description: String {
        parameters.keys.sorted().map { key in
            key == "password" ? "password=***" : "\(key)=\(parameters[key]!)"
        }.joined(separator: " ")
    }
}
