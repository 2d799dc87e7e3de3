import Foundation

/// nginx and what the HTTPS examples' tests need beside it (a certificate, a client), as CI
/// installs them (`.ci/run`).
public enum Nginx {
    public static let path = "/usr/sbin/nginx"

    public static var available: Bool {
        FileManager.default.isExecutableFile(atPath: path) && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")
    }
}
