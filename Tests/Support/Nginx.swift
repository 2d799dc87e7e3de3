public import Foundation

/// nginx and what the HTTPS examples' tests need beside it (a certificate, a client), as CI
/// installs them (`.ci/run`), and a way to run one of `deploy/nginx/`'s files for real.
public enum Nginx {
    public static let path = "/usr/sbin/nginx"

    public static var available: Bool {
        FileManager.default.isExecutableFile(atPath: path) && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")
    }

    /// `deploy/nginx/NAME` made runnable on loopback: the certificate paths of `hosts` become a
    /// throwaway certificate in `folder`, `listen 443`/`80` become `https`/`plain` on
    /// 127.0.0.1, and each `replacements` key (an upstream address) its value.
    public static func site(_ name: String, hosts: [String], in folder: TemporaryDirectory, https: UInt16, plain: UInt16? = nil,
                            replacing replacements: [(String, String)]) throws -> String {
        let (made, output) = try runToCompletion("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=example.com",
            "-keyout", folder.file("key.pem"), "-out", folder.file("cert.pem"),
        ])
        guard made == 0 else { throw TestFailure("openssl: \(output)") }
        var site = try String(contentsOf: SharedFiles.repositoryRoot.appendingPathComponent("deploy/nginx/\(name)"), encoding: .utf8)
        for host in hosts {
            site = site.replacingOccurrences(of: "/etc/letsencrypt/live/\(host)/fullchain.pem", with: folder.file("cert.pem"))
                .replacingOccurrences(of: "/etc/letsencrypt/live/\(host)/privkey.pem", with: folder.file("key.pem"))
        }
        site = site.replacingOccurrences(of: "listen 443 ssl http2;", with: "listen 127.0.0.1:\(https) ssl http2;")
            .replacingOccurrences(of: "listen [::]:443 ssl http2;", with: "")
            .replacingOccurrences(of: "listen [::]:80;", with: "")
        if let plain { site = site.replacingOccurrences(of: "listen 80;", with: "listen 127.0.0.1:\(plain);") }
        for (from, to) in replacements { site = site.replacingOccurrences(of: from, with: to) }
        return site
    }

    /// Checks `site` with `nginx -t` and runs it in the foreground, its files in `folder`.
    /// Stop it with ``stop(_:)``.
    public static func start(_ site: String, in folder: TemporaryDirectory) throws -> Process {
        try site.write(toFile: folder.file("site.conf"), atomically: true, encoding: .utf8)
        try """
            daemon off; master_process off; pid \(folder.file("nginx.pid")); error_log \(folder.file("error.log")) warn;
            events {}
            http { access_log off; client_body_temp_path \(folder.path)/body; proxy_temp_path \(folder.path)/proxy;
                   include \(folder.file("site.conf")); }
            """.write(toFile: folder.file("nginx.conf"), atomically: true, encoding: .utf8)
        let (checked, output) = try runToCompletion(path, ["-t", "-p", folder.path, "-c", folder.file("nginx.conf")])
        guard checked == 0 else { throw TestFailure("nginx -t: \(output)") }
        let server = Process()
        server.executableURL = URL(fileURLWithPath: path)
        server.arguments = ["-p", folder.path, "-c", folder.file("nginx.conf")]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        return server
    }

    /// SIGKILL: a child of the test runner may inherit SIGTERM blocked.
    public static func stop(_ server: Process) {
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
    }
}
