/// The keys one kind of mapping may hold: those berth honours, and those Compose defines but
/// berth cannot honour for host processes, each with the reason a user is given.
struct KeySet: Sendable {
    let honoured: Set<String>
    let unsupported: [String: String]

    init(honoured: [String], unsupported: [String: String] = [:]) {
        self.honoured = Set(honoured)
        self.unsupported = unsupported
    }

    /// The closest honoured or Compose key to a misspelt one, if any is close enough.
    func suggestion(for key: String) -> String? {
        Suggestion.closest(to: key, among: Array(honoured) + unsupported.keys)
    }
}

/// Why berth leaves out the Compose keys it cannot honour.
private enum Reason {
    static let image = "berth runs programs on the host, not container images; put the program in \"command\" or \"entrypoint\""
    static let network = "services share the host's network and bind their ports themselves"
    static let filesystem = "services see the host's filesystem; berth mounts nothing"
    static let oneCopy = "berth runs one copy of each service"
    static let namespaces = "berth does not create namespaces; services run in the host's"
    static let logging = "berth keeps each service's logs itself; see x-berth.logs"
    static let swarm = "Swarm-only setting"
    static let notImplemented = "not implemented by berth"
    static let terminal = "services are not attached to a terminal"
}

extension KeySet {
    static let topLevel = KeySet(
        honoured: ["version", "name", "include", "services", "x-berth"],
        unsupported: [
            "networks": Reason.network, "volumes": Reason.filesystem, "secrets": Reason.filesystem,
            "configs": Reason.filesystem, "models": Reason.notImplemented,
        ]
    )

    static let service = KeySet(
        honoured: [
            "command", "entrypoint", "environment", "env_file", "working_dir", "user", "restart", "deploy",
            "healthcheck", "depends_on", "mem_limit", "mem_reservation", "memswap_limit", "cpus",
            "cpu_shares", "pids_limit", "security_opt", "cap_add", "cap_drop", "stop_signal",
            "stop_grace_period", "ulimits", "oom_score_adj", "profiles", "init", "labels", "extends",
        ],
        unsupported: [
            "image": Reason.image, "build": Reason.image, "pull_policy": Reason.image,
            "pull_refresh_after": Reason.image, "platform": Reason.image, "runtime": Reason.image,
            "isolation": Reason.image,
            "ports": Reason.network, "expose": Reason.network, "networks": Reason.network,
            "network_mode": Reason.network, "links": Reason.network, "external_links": Reason.network,
            "extra_hosts": Reason.network, "dns": Reason.network, "dns_opt": Reason.network,
            "dns_search": Reason.network, "hostname": Reason.network, "domainname": Reason.network,
            "mac_address": Reason.network,
            "volumes": Reason.filesystem, "volumes_from": Reason.filesystem, "tmpfs": Reason.filesystem,
            "read_only": Reason.filesystem, "devices": Reason.filesystem, "device_cgroup_rules": Reason.filesystem,
            "storage_opt": Reason.filesystem, "shm_size": Reason.filesystem, "configs": Reason.filesystem,
            "secrets": Reason.filesystem, "label_file": Reason.notImplemented,
            "container_name": Reason.oneCopy, "scale": Reason.oneCopy,
            "privileged": Reason.namespaces, "cgroup": Reason.namespaces, "cgroup_parent": Reason.namespaces,
            "userns_mode": Reason.namespaces, "pid": Reason.namespaces, "ipc": Reason.namespaces,
            "uts": Reason.namespaces, "sysctls": Reason.namespaces,
            "logging": Reason.logging,
            "tty": Reason.terminal, "stdin_open": Reason.terminal, "attach": Reason.terminal,
            "group_add": Reason.notImplemented, "credential_spec": Reason.notImplemented,
            "oom_kill_disable": Reason.notImplemented, "mem_swappiness": Reason.notImplemented,
            "cpu_count": Reason.notImplemented, "cpu_percent": Reason.notImplemented,
            "cpu_period": Reason.notImplemented, "cpu_quota": Reason.notImplemented,
            "cpu_rt_period": Reason.notImplemented, "cpu_rt_runtime": Reason.notImplemented,
            "cpuset": Reason.notImplemented, "blkio_config": Reason.notImplemented,
            "gpus": Reason.notImplemented, "develop": Reason.notImplemented, "provider": Reason.notImplemented,
            "models": Reason.notImplemented, "use_api_socket": Reason.notImplemented,
            "post_start": Reason.notImplemented, "pre_stop": Reason.notImplemented,
            "pre_start": Reason.notImplemented, "annotations": Reason.notImplemented,
        ]
    )

    static let deploy = KeySet(
        honoured: ["resources", "restart_policy"],
        unsupported: [
            "mode": Reason.swarm, "replicas": Reason.oneCopy, "endpoint_mode": Reason.swarm,
            "placement": Reason.swarm, "update_config": Reason.swarm, "rollback_config": Reason.swarm,
            "labels": Reason.swarm,
        ]
    )

    static let resources = KeySet(honoured: ["limits", "reservations"])
    static let limits = KeySet(honoured: ["cpus", "memory", "pids"])
    static let reservations = KeySet(
        honoured: ["cpus", "memory"],
        unsupported: ["generic_resources": Reason.notImplemented, "devices": Reason.filesystem]
    )
    static let restartPolicy = KeySet(honoured: ["condition", "delay", "max_attempts", "window"])
    static let healthcheck = KeySet(
        honoured: ["test", "interval", "timeout", "start_period", "start_interval", "retries", "disable"]
    )
    static let dependency = KeySet(honoured: ["condition", "required", "restart"])
    static let envFile = KeySet(honoured: ["path", "required", "format"])
    static let extends = KeySet(honoured: ["service", "file"])
    static let include = KeySet(honoured: ["path", "project_directory", "env_file"])
    static let ulimit = KeySet(honoured: ["soft", "hard"])

    static let berthTopLevel = KeySet(honoured: ["host"])
    static let berthService = KeySet(
        honoured: ["probe", "logs", "restart_on_unhealthy", "notify", "watchdog", "memory_high", "seccomp_strict", "deploy",
                   "proxy"]
    )
    static let probe = KeySet(
        honoured: ["http", "tcp", "interval", "timeout", "retries", "start_period", "start_interval"]
    )
    static let logs = KeySet(honoured: ["max_size", "max_files"])
    static let blueGreen = KeySet(honoured: ["strategy", "ports", "proxy", "deploy_timeout", "drain", "health"])
    static let proxy = KeySet(honoured: ["kind", "upstreams", "listen", "config", "error_log"])
}

/// Finds what a user probably meant by a misspelt key.
enum Suggestion {
    /// The candidate with the smallest edit distance, if it is within a third of the key's
    /// length (at least 1, at most 3 edits).
    static func closest(to word: String, among candidates: [String]) -> String? {
        let limit = min(3, max(1, word.count / 3))
        var best: (String, Int)?
        for candidate in candidates.sorted() {
            let distance = editDistance(word.lowercased(), candidate.lowercased())
            if distance <= limit, distance < (best?.1 ?? .max) { best = (candidate, distance) }
        }
        return best?.0
    }

    /// Levenshtein distance, counting a swap of two neighbours as one edit.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
