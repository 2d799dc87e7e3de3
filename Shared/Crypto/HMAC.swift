import CCrypto

/// HMAC through OpenSSL's libcrypto: Switchboard never implements a cryptographic primitive itself.
///
/// Used for provider webhook signatures (Twilio: SHA-1, Meta: SHA-256) and the notifier's own
/// webhook signatures (SHA-256). See RFC 2104; test vectors from RFC 4231.
public enum HMAC {
    public enum Algorithm: Sendable {
        case sha1
        case sha256

        fileprivate var digest: OpaquePointer? {
            switch self {
            case .sha1: EVP_sha1()
            case .sha256: EVP_sha256()
            }
        }
    }

    /// The authentication code of `message` under `key`.
    public static func authenticationCode(
        _ algorithm: Algorithm, key: some Collection<UInt8>, message: some Collection<UInt8>
    ) -> [UInt8] {
        let keyBytes = Array(key)
        let messageBytes = Array(message)
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        keyBytes.withUnsafeBytes { keyPointer in
            messageBytes.withUnsafeBytes { messagePointer in
                output.withUnsafeMutableBytes { outputPointer in
                    _ = CCrypto.HMAC(
                        algorithm.digest,
                        keyPointer.baseAddress, Int32(keyBytes.count),
                        messagePointer.baseAddress?.assumingMemoryBound(to: UInt8.self), messageBytes.count,
                        outputPointer.baseAddress?.assumingMemoryBound(to: UInt8.self), &length)
                }
            }
        }
        return Array(output.prefix(Int(length)))
    }

    /// Convenience for string keys and messages (UTF-8).
    public static func authenticationCode(_ algorithm: Algorithm, key: String, message: String) -> [UInt8] {
        authenticationCode(algorithm, key: Array(key.utf8), message: Array(message.utf8))
    }
}

/// Comparisons whose time does not depend on where the inputs differ (OpenSSL `CRYPTO_memcmp`).
public enum ConstantTime {
    /// True when `a` and `b` hold the same bytes. Lengths are not secret: a length mismatch returns
    /// at once.
    public static func equals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        let left = Array(a)
        let right = Array(b)
        guard left.count == right.count else { return false }
        if left.isEmpty { return true }
        return left.withUnsafeBytes { leftPointer in
            right.withUnsafeBytes { rightPointer in
                CRYPTO_memcmp(leftPointer.baseAddress, rightPointer.baseAddress, left.count) == 0
            }
        }
    }

    public static func equals(_ a: String, _ b: String) -> Bool {
        equals(Array(a.utf8), Array(b.utf8))
    }
}

/// Cryptographically secure random bytes (OpenSSL `RAND_bytes`), for generated secrets and ids.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: count)
        let status = output.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        precondition(status == 1, "RAND_bytes failed: the system has no entropy source")
        return output
    }

    /// A random lowercase hex string of `byteCount` bytes.
    public static func hex(_ byteCount: Int) -> String { Hex.encode(bytes(byteCount)) }
}

/// Lowercase hexadecimal encoding.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var output = [UInt8]()
        output.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes hex (either case); nil when `text` is not an even-length hex string.
    public static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 2 == 0 else { return nil }
        var output = [UInt8]()
        output.reserveCapacity(characters.count / 2)
        var index = 0
        while index < characters.count {
            guard let high = value(characters[index]), let low = value(characters[index + 1]) else { return nil }
            output.append(high << 4 | low)
            index += 2
        }
        return output
    }

    private static func value(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Message digests through libcrypto.
public enum Digest {
    /// SHA-256 of `message` (Twilio's `bodySHA256` for JSON bodies).
    public static func sha256(_ message: some Collection<UInt8>) -> [UInt8] {
        let bytes = Array(message)
        var output = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        bytes.withUnsafeBytes { input in
            output.withUnsafeMutableBufferPointer { out in
                _ = EVP_Digest(input.baseAddress, bytes.count, out.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        return output
    }
}
