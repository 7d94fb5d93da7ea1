import Foundation
import Synchronization

/// One of Tongban's executables, started as a real process with its own environment; its standard
/// error (where services log) is collected line by line.
public final class ServiceProcess: Sendable {
    public let name: String
    private let process: Process
    private let errorOutput = LineBuffer()

    public init(executable name: String, environment: [String: String]) throws {
        self.name = name
        process = Process()
        process.executableURL = TestInfrastructure.binaryDirectory.appendingPathComponent(name)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // A thread of its own with blocking reads until EOF: Foundation's readabilityHandler on Linux
        // can crash libdispatch when the pipe is closed under it.
        let reader = pipe.fileHandleForReading
        Thread.detachNewThread { [errorOutput] in
            while case let data = reader.availableData, !data.isEmpty {
                errorOutput.append(data)
            }
        }
    }

    public var logLines: [String] { errorOutput.lines }

    public var processIdentifier: Int32 { process.processIdentifier }

    /// Waits until a log line satisfies `predicate`, and returns it.
    public func waitForLogLine(timeout: Duration = .seconds(30), where predicate: (String) -> Bool) async throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let line = logLines.first(where: predicate) { return line }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        if let line = logLines.first(where: predicate) { return line }
        throw ServiceProcessError.logLineNotSeen(service: name, log: logLines)
    }

    public func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to exit and returns its exit status.
    public func waitForExit(timeout: Duration = .seconds(15)) async throws -> Int32 {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while process.isRunning {
            guard clock.now < deadline else { throw ServiceProcessError.didNotExit(service: name) }
            try await Task.sleep(for: .milliseconds(50))
        }
        // Let the pipe's last lines arrive.
        try await Task.sleep(for: .milliseconds(100))
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

public enum ServiceProcessError: Error, CustomStringConvertible {
    case logLineNotSeen(service: String, log: [String])
    case didNotExit(service: String)

    public var description: String {
        switch self {
        case .logLineNotSeen(let service, let log):
            "\(service) never logged the expected line; its log:\n" + log.joined(separator: "\n")
        case .didNotExit(let service):
            "\(service) did not exit in time"
        }
    }
}

/// Bytes from a pipe, cut into whole lines as they arrive.
private final class LineBuffer: Sendable {
    private let state = Mutex<(lines: [String], partial: String)>(([], ""))

    func append(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        state.withLock { state in
            var pieces = (state.partial + text).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            state.partial = pieces.removeLast()
            state.lines.append(contentsOf: pieces)
        }
    }

    var lines: [String] { state.withLock { $0.lines } }
}
