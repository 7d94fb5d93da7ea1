import Foundation
import Synchronization

/// A child process started with posix_spawn and reaped with waitpid. Foundation's `Process` on Linux
/// can miss a child's exit when several are launched at once from different threads (the test
/// then waits forever on a zombie), so tests start their processes through this.
public final class ChildProcess: Sendable {
    public let processIdentifier: Int32
    private let exitStatus = Mutex<Int32?>(nil)
    private let errorOutput = LineBuffer()
    private let standardOutput = LineBuffer()

    /// Starts `executable` with `arguments`; the environment is this process's, overridden by `environment`.
    public init(executable: String, arguments: [String] = [], environment: [String: String] = [:]) throws {
        let merged = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        var outputPipe: [Int32] = [0, 0]
        var errorPipe: [Int32] = [0, 0]
        guard pipe(&outputPipe) == 0, pipe(&errorPipe) == 0 else { throw ChildProcessError.spawnFailed(executable, errno) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        for fd in outputPipe + errorPipe { posix_spawn_file_actions_addclose(&actions, fd) }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        // Swift's threads block most signals, and a spawned child inherits the mask: a service would
        // never see SIGTERM, pgbench never its SIGALRM. Children start with none blocked and default handlers.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: Int32 = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(outputPipe[1])
        close(errorPipe[1])
        guard result == 0 else {
            close(outputPipe[0])
            close(errorPipe[0])
            throw ChildProcessError.spawnFailed(executable, result)
        }
        processIdentifier = pid
        Self.drain(outputPipe[0], into: standardOutput)
        Self.drain(errorPipe[0], into: errorOutput)
    }

    /// Reads a pipe on a thread of its own until EOF (blocking reads never touch Swift's cooperative pool).
    private static func drain(_ fd: Int32, into buffer: LineBuffer) {
        Thread.detachNewThread {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(fd, &chunk, chunk.count)
                if count <= 0 { break }
                buffer.append(Data(chunk[0..<count]))
            }
            buffer.finish()
            close(fd)
        }
    }

    /// Lines written to standard error so far (services log there).
    public var errorLines: [String] { errorOutput.lines }

    /// Lines written to standard output so far.
    public var outputLines: [String] { standardOutput.lines }

    public func signal(_ signal: Int32) {
        if exitStatus.withLock({ $0 }) == nil { kill(processIdentifier, signal) }
    }

    /// The exit status, or 128 + the signal that ended it; nil while it runs.
    public var status: Int32? {
        exitStatus.withLock { known in
            if let known { return known }
            var raw: Int32 = 0
            guard waitpid(processIdentifier, &raw, WNOHANG) == processIdentifier else { return nil }
            let status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            known = status
            return status
        }
    }

    public var isRunning: Bool { status == nil }

    /// Waits for the process to exit and for its output to be read, and returns its status.
    public func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32 {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            if let status, standardOutput.isFinished, errorOutput.isFinished { return status }
            guard clock.now < deadline else { throw ChildProcessError.didNotExit(processIdentifier) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    deinit {
        if status == nil {
            kill(processIdentifier, SIGKILL)
            var raw: Int32 = 0
            waitpid(processIdentifier, &raw, 0)
        }
    }
}

public enum ChildProcessError: Error, CustomStringConvertible {
    case spawnFailed(String, Int32)
    case didNotExit(Int32)

    public var description: String {
        switch self {
        case .spawnFailed(let executable, let code): "could not start \(executable): \(String(cString: strerror(code)))"
        case .didNotExit(let pid): "process \(pid) did not exit in time"
        }
    }
}

/// Bytes from a pipe, cut into whole lines as they arrive.
final class LineBuffer: Sendable {
    private let state = Mutex<(lines: [String], partial: String, finished: Bool)>(([], "", false))

    func append(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        state.withLock { state in
            var pieces = (state.partial + text).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            state.partial = pieces.removeLast()
            state.lines.append(contentsOf: pieces)
        }
    }

    func finish() {
        state.withLock { state in
            if !state.partial.isEmpty { state.lines.append(state.partial) }
            state.partial = ""
            state.finished = true
        }
    }

    var lines: [String] { state.withLock { $0.lines } }
    var isFinished: Bool { state.withLock { $0.finished } }
}
