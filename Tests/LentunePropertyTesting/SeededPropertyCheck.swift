import PropertyBased
import Testing

/// A property check whose inputs come from a fixed seed: every run tries the same cases, so a failure in CI is a
/// failure on every machine, and it can be replayed. The first failing case is reported with the seed, its number and
/// its input, and the check stops there. Checks inside `body` throw (`try #require(…)`), so the case named is the one
/// that failed. To try other inputs, change the seed (and keep any that once found a bug).
public func seededPropertyCheck<Value, Shrinks: SendableSequenceType>(
    seed: UInt64, count: Int = 100, input: Generator<Value, Shrinks>,
    sourceLocation: SourceLocation = #_sourceLocation,
    perform body: (Value) async throws -> Void
) async {
    var random = Xoshiro(seed: (seed, seed ^ 0x9E37_79B9_7F4A_7C15, ~seed, 0xD1B5_4A32_D192_ED03))
    for index in 0..<count {
        let value = input.run(using: &random)
        do {
            try await body(value)
        } catch {
            Issue.record(
                "Property failed for seed \(seed), case \(index + 1) of \(count), input \(String(reflecting: value)): \(error)",
                sourceLocation: sourceLocation)
            return
        }
    }
}
