import ArgumentParser
import Foundation
import Postgres
#if canImport(Glibc)
import Glibc
#endif

/// pgbench with a workload: a custom script (`-M extended -f FILE`) or a built-in one (`-N`). The
/// connection goes through PG* environment variables, the password only in the child's PGPASSWORD:
/// nothing secret is on its command line or printed.
struct PgbenchRun {
    let executable: String
    /// The workload's arguments, e.g. `["-n", "-M", "extended", "-f", path]` or `["-N"]`.
    let workload: [String]
    let clients: Int
    let connection: PostgresConnectionString

    func arguments(seconds: Int) -> [String] {
        workload + ["-c", "\(clients)", "-j", "\(min(clients, ProcessInfo.processInfo.activeProcessorCount))", "-T", "\(seconds)"]
    }

    /// `pgbench -i`: the tables the built-in workloads use.
    func initialize(scale: Int) async throws {
        let (status, output, errors, _) = try await runToCompletion(executable, ["-i", "-q", "-s", "\(scale)"], environment: environment)
        guard status == 0 else { throw ValidationError("pgbench -i exited with status \(status): \(errors)\(output)") }
    }

    var environment: [String: String] {
        var environment: [String: String] = [:]
        let variables = ["host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "dbname": "PGDATABASE", "password": "PGPASSWORD"]
        for (keyword, variable) in variables {
            if let value = connection[keyword] { environment[variable] = value }
        }
        return environment
    }

    func commandLine(seconds: Int) -> String {
        ([executable] + arguments(seconds: seconds)).joined(separator: " ")
    }

    func rate(seconds: Int) async throws -> Double {
        let (status, output, errors, _) = try await runToCompletion(executable, arguments(seconds: seconds), environment: environment)
        guard status == 0,
              let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
              let rate = Double(line.dropFirst("tps = ".count).prefix { $0 != " " })
        else {
            throw ValidationError("pgbench exited with status \(status): \(errors)\(output)")
        }
        return rate
    }
}
