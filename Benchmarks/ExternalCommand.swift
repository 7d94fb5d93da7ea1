import Foundation

/// Runs a reference tool (rdkafka_performance, pgbench…) to its end and returns its exit status and
/// everything it wrote to standard output and standard error. Started with posix_spawn and read and
/// reaped on a thread of its own: the blocking reads and waitpid stay off Swift's cooperative pool.
func runExternalCommand(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
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
            waitpid(child, &raw, 0)
            let status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            continuation.resume(returning: (status, String(decoding: output, as: UTF8.self)))
        }
    }
}

struct ExternalCommandError: Error, CustomStringConvertible {
    var description: String
}
