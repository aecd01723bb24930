// libFuzzer shim for MediaStreamsFuzz.annexB (RingletMediaStreams). libFuzzer supplies main(); see docs/fuzzing.md.
@_spi(Fuzzing) import RingletMediaStreams

/// Called by libFuzzer once per input: copies the bytes and hands them to the library's fuzz entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    MediaStreamsFuzz.annexB(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
