/// Why a test that drives a real peer could not run, or failed outside an expectation (a tool is missing, a
/// socket call failed, a process did not finish in time). Tests throw it; it fails the test, it never skips it.
public struct TestSupportError: Error, CustomStringConvertible {
    /// What went wrong, in words fit for a test failure message.
    public let description: String

    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
