import Foundation

/// Runs a reference tool (rdkafka_performance, pgbench…) to its end and returns its exit status,
/// everything it wrote to standard output and standard error, and the CPU time it used. Started with posix_spawn and read and
/// reaped on a thread of its own: the blocking reads and waitpid stay off Swift's cooperative pool.
func runExternalCommand(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String, cpuSeconds: Double) {
    var pipeEnds: [Int32] = [0, 0]
    guard pipe(&pipeEnds) == 0 else { throw ExternalCommandError(description: "pipe: \(String(cString: strerror(errno)))") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
    posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2)
    posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
    posix_spawn_file_actions_addclose(&actions, pipeEnds[1])

    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    close(pipeEnds[1])
    guard result == 0 else {
        close(pipeEnds[0])
        throw ExternalCommandError(description: "could not start \(executable): \(String(cString: strerror(result)))")
    }
    let readEnd = pipeEnds[0]
    let child = pid
    return await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            var output = Data()
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(readEnd, &chunk, chunk.count)
                if count <= 0 { break }
                output.append(contentsOf: chunk[0..<count])
            }
            close(readEnd)
            var raw: Int32 = 0
            var usage = rusage()
            wait4(child, &raw, 0, &usage)
            let status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            continuation.resume(returning: (status, String(decoding: output, as: UTF8.self), cpuSeconds(usage)))
        }
    }
}

struct ExternalCommandError: Error, CustomStringConvertible {
    var description: String
}

/// User and system CPU time in a resource usage record.
func cpuSeconds(_ usage: rusage) -> Double {
    Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// CPU time this process has used so far.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return cpuSeconds(usage)
}
