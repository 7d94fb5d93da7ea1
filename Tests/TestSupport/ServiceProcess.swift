import Foundation

/// One of Tongban's executables, started as a real process with its own environment; its standard
/// error (where services log) is collected line by line.
public final class ServiceProcess: Sendable {
    public let name: String
    private let child: ChildProcess

    public init(executable name: String, environment: [String: String]) throws {
        self.name = name
        child = try ChildProcess(
            executable: TestInfrastructure.binaryDirectory.appendingPathComponent(name).path,
            environment: environment
        )
    }

    public var logLines: [String] { child.errorLines }

    public var processIdentifier: Int32 { child.processIdentifier }

    /// Waits until a log line satisfies `predicate`, and returns it.
    public func waitForLogLine(timeout: Duration = .seconds(30), where predicate: (String) -> Bool) async throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let line = logLines.first(where: predicate) { return line }
            if !child.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        if let line = logLines.first(where: predicate) { return line }
        throw ServiceProcessError.logLineNotSeen(service: name, log: logLines)
    }

    /// The HTTP port the service logged when it began listening (it may have picked a free one).
    public func listeningPort(timeout: Duration = .seconds(30)) async throws -> Int {
        let line = try await waitForLogLine(timeout: timeout) { $0.contains("listening on") }
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let message = object["message"] as? String, let port = message.split(separator: ":").last.flatMap({ Int($0) })
        else { throw ServiceProcessError.noPort(service: name, line: line) }
        return port
    }

    public func signal(_ signal: Int32) {
        child.signal(signal)
    }

    /// Waits for the process to exit and returns its exit status.
    public func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        try await child.waitForExit(timeout: timeout)
    }
}

public enum ServiceProcessError: Error, CustomStringConvertible {
    case logLineNotSeen(service: String, log: [String])
    case noPort(service: String, line: String)

    public var description: String {
        switch self {
        case .logLineNotSeen(let service, let log):
            "\(service) never logged the expected line; its log:\n" + log.joined(separator: "\n")
        case .noPort(let service, let line):
            "\(service) logged no port to reach it: \(line)"
        }
    }
}

/// Runs a command to its end and returns its exit status and standard output.
public func runCommand(_ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(120)) async throws -> (status: Int32, output: String) {
    let child = try ChildProcess(executable: executable, arguments: arguments, environment: environment)
    let status = try await child.waitForExit(timeout: timeout)
    return (status, child.outputLines.joined(separator: "\n"))
}
