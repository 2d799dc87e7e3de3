import CCrypto

/// A stored password check for the console's admin: PBKDF2-HMAC-SHA256 through libcrypto
/// (`PKCS5_PBKDF2_HMAC`), in the self-describing form `pbkdf2-sha256$ITERATIONS$SALT_HEX$HASH_HEX`.
///
/// Why PBKDF2: it is the slow, salted key derivation libcrypto has on every Debian machine
/// (no extra library); the iteration count is in the string, so a hash made with more
/// iterations later still verifies the old ones. OWASP's 2023 figure for SHA-256 is 600,000.
public struct PasswordHash: Sendable, Equatable, CustomStringConvertible {
    public static let defaultIterations = 600_000

    public let iterations: Int
    public let salt: [UInt8]
    public let hash: [UInt8]

    /// Hashes `password` with a fresh 16-byte salt.
    public init(password: String, iterations: Int = PasswordHash.defaultIterations) {
        let salt = SecureRandom.bytes(16)
        self.iterations = iterations
        self.salt = salt
        self.hash = Self.derive(password: password, salt: salt, iterations: iterations)
    }

    /// Parses the stored form; nil when it is not one.
    public init?(parsing text: String) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let iterations = Int(parts[1]), iterations >= 1,
              let salt = Hex.decode(String(parts[2])), salt.count >= 8,
              let hash = Hex.decode(String(parts[3])), hash.count == 32
        else { return nil }
        self.iterations = iterations
        self.salt = salt
        self.hash = hash
    }

    /// The stored form.
    public var description: String { "pbkdf2-sha256$\(iterations)$\(Hex.encode(salt))$\(Hex.encode(hash))" }

    /// Whether `password` is the one hashed, compared in constant time.
    public func verifies(_ password: String) -> Bool {
        ConstantTime.equals(Self.derive(password: password, salt: salt, iterations: iterations), hash)
    }

    static func derive(password: String, salt: [UInt8], iterations: Int) -> [UInt8] {
        let secret = Array(password.utf8)
        var output = [UInt8](repeating: 0, count: 32)
        let status = secret.withUnsafeBufferPointer { secretPointer in
            salt.withUnsafeBufferPointer { saltPointer in
                output.withUnsafeMutableBufferPointer { outputPointer in
                    secretPointer.withMemoryRebound(to: CChar.self) { secretChars in
                        PKCS5_PBKDF2_HMAC(
                            secretChars.baseAddress, Int32(secret.count), saltPointer.baseAddress, Int32(salt.count),
                            Int32(clamping: iterations), EVP_sha256(), 32, outputPointer.baseAddress)
                    }
                }
            }
        }
        precondition(status == 1, "PKCS5_PBKDF2_HMAC failed")
        return output
    }
}
