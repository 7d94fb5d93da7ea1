import Hummingbird
import ServiceKit

/// The approval service. 并联审批, 限时办结: departments' parallel tasks under working-day limits.
@main
struct ApprovalService {
    static func main() async {
        await ServiceRunner.main(service: .approval) { runtime in
            buildApplication(runtime: runtime)
        }
    }
}

/// Approval's HTTP application; tests build it through this function too.
func buildApplication(runtime: ServiceRuntime) -> some ApplicationProtocol {
    buildServiceApplication(runtime: runtime)
}
