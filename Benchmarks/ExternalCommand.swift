import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs `executable` to its end; returns its exit status, standard output and standard error.
/// The environment is this process's, overridden by `environment`.
///
/// Not Foundation's `Process`: it hands the child the spawning thread's signal mask, and Swift
/// concurrency's threads block nearly every signal, so pgbench never received the SIGALRM that
/// ends a `-T` run and ran forever. This spawns with an empty mask, and waits on a thread of its
/// own, since waitpid blocks.
func runToCompletion(_ executable: String, _ arguments: [String], environment: [String: String]) async throws -> (status: Int32, output: String, errors: String, cpuSeconds: Double) {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try spawnAndWait(executable, arguments, environment: environment) })
        }
    }
}

private func spawnAndWait(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String, errors: String, cpuSeconds: Double) {
    // Output goes to files rather than pipes, so a chatty child cannot fill a pipe nobody reads yet.
    let folder = FileManager.default.temporaryDirectory
    let outputFile = folder.appendingPathComponent("tongban-bench-\(UUID().uuidString).out")
    let errorFile = folder.appendingPathComponent("tongban-bench-\(UUID().uuidString).err")
    defer {
        try? FileManager.default.removeItem(at: outputFile)
        try? FileManager.default.removeItem(at: errorFile)
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputFile.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errorFile.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

    let merged = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    guard spawned == 0 else {
        throw ExternalCommandError(description: "could not start \(executable): \(String(cString: strerror(spawned)))")
    }
    var raw: Int32 = 0
    var usage = rusage()
    while wait4(pid, &raw, 0, &usage) == -1 && errno == EINTR {}
    let status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
    let output = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
    let errors = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
    return (status, output, errors, cpuSeconds(usage))
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
