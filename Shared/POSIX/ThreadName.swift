import CLinux

/// Names the calling thread as `top -H`, `perf` and `/proc/PID/task/*/comm` show it.
///
/// Why not `Thread.name`: set before `start()`, Foundation never passes it to the kernel, so every
/// store, checkpoint and loop thread showed the name of the dispatch thread that created it
/// (`oot.default-qos`) and profiles could not tell them apart. Linux keeps 15 bytes; longer
/// names are cut there, not refused.
public func nameCurrentThread(_ name: String) {
    let bytes = Array(name.utf8.prefix(15)) + [0]
    bytes.withUnsafeBufferPointer { buffer in
        buffer.withMemoryRebound(to: CChar.self) { _ = switchboard_name_thread($0.baseAddress!) }
    }
}
