import RingletDeviceTool

/// `ringlet-device`: the simulated device of `ringlet device` as a program of its own — only the device SDK and
/// its sample media, no server code — so its memory is what a device app built on the SDK uses (`ringlet bench
/// device` measures it when it is built beside `ringlet`). Same options as `ringlet device`.
@main
struct RingletDeviceProgram {
    static func main() async {
        await DeviceCommand.main(nil)
    }
}
