/// A growable run of bytes that ``JSONWriter`` owns alone: appends are a bounds check and a
/// store, with none of an array's per-call uniqueness checks.
struct JSONByteBuffer: ~Copyable {
    private var start: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        start = .allocate(capacity: self.capacity)
    }

    deinit {
        start.deallocate()
    }

    /// A copy of the bytes written.
    var array: [UInt8] {
        Array(UnsafeBufferPointer(start: start, count: count))
    }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private mutating func grow(to needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        larger.initialize(from: start, count: count)
        start.deallocate()
        start = larger
        capacity = newCapacity
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        start[count] = byte
        count += 1
    }

    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (start + count).initialize(from: source, count: bytes.count)
        count += bytes.count
    }

    /// `"name":` for a member name that needs no escaping.
    mutating func appendKey(_ name: UnsafeBufferPointer<UInt8>) {
        reserve(name.count + 3)
        start[count] = UInt8(ascii: "\"")
        if let source = name.baseAddress { (start + count + 1).initialize(from: source, count: name.count) }
        start[count + 1 + name.count] = UInt8(ascii: "\"")
        start[count + 2 + name.count] = UInt8(ascii: ":")
        count += name.count + 3
    }

    /// An integer in decimal, as `JSONEncoder` writes it.
    mutating func appendDecimal(_ value: Int) {
        reserve(20)
        if value < 0 {
            start[count] = UInt8(ascii: "-")
            count += 1
        }
        var magnitude = value.magnitude
        let first = count
        repeat {
            start[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            count += 1
            magnitude /= 10
        } while magnitude > 0
        var low = first, high = count - 1
        while low < high {
            (start[low], start[high]) = (start[high], start[low])
            low += 1
            high -= 1
        }
    }
}

extension JSONByteBuffer: JSONByteSink {}
