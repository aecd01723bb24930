import Foundation
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// docs/screenshots in the source tree.
let screenshotsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("docs/screenshots")

/// Takes the screenshots of one screen of `page` (a phone-sized Chromium tab): the phone (390×844 at scale 2, so
/// 780×1688) in the light scheme, the desktop (1280×800) in the light scheme, and the phone in the dark scheme
/// (`NAME.png`, `NAME-desktop.png`, `NAME-dark.png`), checking each one's size; the page is left as it was (phone,
/// light). With `RINGLET_UPDATE_SCREENSHOTS=1` they replace those in docs/screenshots (docs/screenshots/README.md).
func screenshot(_ page: WebPage, _ name: String, desktop: Bool = true, dark: Bool = true) async throws {
    try await page.emulateColorScheme("light")
    try await capture(page, name, expected: (780, 1688))
    if desktop {
        try await page.emulateDesktop()
        try await capture(page, "\(name)-desktop", expected: (1280, 800))
        try await page.emulatePhone()
    }
    if dark {
        try await page.emulateColorScheme("dark")
        try await capture(page, "\(name)-dark", expected: (780, 1688))
        try await page.emulateColorScheme("light")
    }
}

/// One screenshot of the page as it is now, checked to be `expected` pixels.
private func capture(_ page: WebPage, _ name: String, expected: (Int, Int)) async throws {
    // No animation mid-way (the ringing pulse: reduced motion is emulated with the colour scheme); wait until the
    // fonts are in and every transition or finite animation has finished, so that the picture is what a person sees.
    try await page.waitUntil("""
        document.fonts.status === 'loaded' && document.getAnimations().every(a => a.playState !== 'running'
            || a.effect?.getComputedTiming().iterations === Infinity)
        """)
    let png = try await page.screenshot()
    let size = pngSize(png)
    #expect(size?.width == expected.0 && size?.height == expected.1,
            "\(name): \(expected.0)×\(expected.1) pixels, got \(String(describing: size))")
    if ProcessInfo.processInfo.environment["RINGLET_UPDATE_SCREENSHOTS"] == "1" {
        try FileManager.default.createDirectory(at: screenshotsFolder, withIntermediateDirectories: true)
        try png.write(to: screenshotsFolder.appendingPathComponent("\(name).png"))
    }
}

/// The width and height in a PNG's IHDR chunk.
func pngSize(_ data: Data) -> (width: Int, height: Int)? {
    let bytes = [UInt8](data.prefix(24))
    guard bytes.count == 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { return nil }
    func int(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
    return (int(16), int(20))
}

/// Signs in with the development name form and waits for the signed-in view with signaling online.
func signIn(_ page: some BrowserPage, as name: String) async throws {
    try await page.waitForState("view", "signin")
    try await page.waitUntil("!document.getElementById('dev-signin').hidden")
    try await page.type(name, into: "Your name")
    try await page.click(button: "Sign in")
    try await page.waitForState("view", "main")
    try await page.waitForState("signal", "online")
}

/// A browser on the web app at phone size, signed in as "Ada" (`grantMedia: false`: camera and microphone
/// requests are left to the permission settings).
func signedInPage(_ bench: WebAppBench, grantMedia: Bool = true) async throws -> (HeadlessBrowser, WebPage) {
    let browser = try await bench.launchBrowser(grantMedia: grantMedia)
    let page = try await browser.firstPage()
    try await page.emulatePhone()
    try await signIn(page, as: "Ada")
    return (browser, page)
}

/// The session token the page keeps (sessionStorage).
func token(of page: some BrowserPage) async throws -> String {
    try await page.string("sessionStorage.getItem('ringlet.token')")
}

/// The signed-in user's openId, read through the API with the page's token.
func openID(of page: some BrowserPage, server: DevServer) async throws -> String {
    let me = try await server.request("GET", "/v1/me", .user(try await token(of: page)))
    return (me.json["user"] as? [String: Any])?["openId"] as? String ?? ""
}

/// Types an SN and a ticket into the authorize form and submits it.
func authorize(_ page: some BrowserPage, sn: String, ticket: String) async throws {
    try await page.type(sn, into: "Device SN")
    try await page.type(ticket, into: "SN ticket")
    try await page.click(button: "Authorize")
}

/// A CSS selector for the device row of `sn`.
func deviceRow(_ sn: String) -> String { "#device-list li[data-sn=\"\(sn)\"]" }

/// The page's user authorizes `sn` (named `name` by the app backend) with an SN ticket typed into the form, and
/// a real `ringlet device` registers with the same ticket (`arguments` are more flags for it) and comes online;
/// returns once the page lists it online.
func authorizedDevice(_ bench: WebAppBench, _ page: some BrowserPage, sn: String = "DOOR-1", name: String = "Front door",
                      arguments: [String] = []) async throws -> DeviceProcess {
    let ticket = try await bench.server.issueTicket(sn: sn, deviceName: name)
    try await authorize(page, sn: sn, ticket: ticket)
    try await page.waitUntil("document.querySelector('\(deviceRow(sn))')")
    let device = try bench.startDevice(sn: sn, ticket: ticket, arguments: arguments)
    try await device.waitFor("registerAvtVoip 0") { $0["cb"] as? String == "registerAvtVoip" && $0["code"] as? Int == 0 }
    try await device.waitUntilReady()
    try await waitUntilListedOnline(page, sn: sn)
    return device
}

/// Waits until the Devices tab shows `sn` online in a list loaded after now (choosing the tab reloads the list
/// at once rather than at the next 10 s refresh; a list loaded before may still show an earlier state).
func waitUntilListedOnline(_ page: some BrowserPage, sn: String) async throws {
    let loaded = try await page.state("devicesLoaded")
    try await page.click(tab: "Devices")
    try await page.waitUntil("""
        document.body.dataset.devicesLoaded !== \(jsString(loaded))
          && document.querySelector('\(deviceRow(sn))')?.dataset.online === 'true'
        """)
}

/// The device calls the page's user (`call OPENID` on its standard input) and the page rings; returns the
/// device's event mark from just before the call and the call's id as the page shows it.
func deviceCalls(_ device: DeviceProcess, _ page: some BrowserPage, openId: String) async throws -> (mark: Int, callID: String) {
    let mark = device.mark
    try device.send("call \(openId)")
    try await page.waitForState("callState", "ringing")
    return (mark, try await page.state("callId"))
}

/// Answers the ringing page and waits for media both ways (``waitForPageMedia``, ``waitForDeviceMedia`` after
/// the device's event `after`); returns the device's status line.
@discardableResult
func answerWithMedia(_ page: some BrowserPage, _ device: DeviceProcess, after: Int, link: String = "direct") async throws
    -> [String: Any]
{
    try await page.click(button: "Answer")
    try await device.waitFor(command: "CALL_ANSWER", after: after)
    try await waitForPageMedia(page, link: link)
    return try await waitForDeviceMedia(device, after: after)
}

/// An integer field of a device event (0 when absent).
func int(_ event: [String: Any], _ key: String) -> Int { event[key] as? Int ?? 0 }

/// Waits until the page, in a call, decodes the device's video and receives its audio over a connected link of
/// type `link` (`data-frames-decoded`, `data-audio-packets`, `data-call-link` from getStats every second).
func waitForPageMedia(_ page: some BrowserPage, link: String = "direct", timeout: Duration = .seconds(20)) async throws {
    try await page.waitUntil("""
        document.body.dataset.callState === 'active' && document.body.dataset.callMedia === 'connected'
          && Number(document.body.dataset.framesDecoded) > 0 && Number(document.body.dataset.audioPackets) > 0
          && document.body.dataset.callLink === \(jsString(link))
        """, timeout: timeout)
}

/// Waits until the device, after event number `after`, started receiving the page's video and audio
/// (`onStartRecvVideoStream`, `onStartRecvAudioStream`) and its status line counts frames received and sent
/// both ways; returns that status line.
@discardableResult
func waitForDeviceMedia(_ device: DeviceProcess, after: Int, timeout: Duration = .seconds(20)) async throws
    -> [String: Any]
{
    try await device.waitFor(callback: "onStartRecvVideoStream", after: after, timeout: timeout)
    try await device.waitFor(callback: "onStartRecvAudioStream", after: after, timeout: timeout)
    return try await device.waitForStatus("video and audio received and sent", after: after, timeout: timeout) {
        int($0, "videoReceived") > 0 && int($0, "audioReceived") > 0 && int($0, "videoSent") > 0
            && int($0, "audioSent") > 0
    }
}

/// The seed callbacks of a call's start and end, in the order the device printed them after event `after`
/// (`onRecvCommand` written with its command).
func callFlow(_ device: DeviceProcess, after: Int) -> [String] {
    let shown: Set = ["onRecvCommand", "onJoinNotify", "onGetAvEncInfo", "onStartRealPlay", "onStopRecvStream",
                      "onStopRealPlay", "onCancelNotify"]
    return device.events.dropFirst(after).compactMap { event -> String? in
        guard let cb = event["cb"] as? String, shown.contains(cb) else { return nil }
        guard cb == "onRecvCommand" else { return cb }
        let command = event["command"] as? String ?? "?"
        return command == "REQ_IFRAME" ? nil : command
    }
}

/// Waits until the page's last ended call ended for `reason` with `message` on screen (the page keeps both after
/// the call view closes, so a slow poll cannot miss the few seconds it is shown).
func waitForCallEnd(_ page: some BrowserPage, _ reason: String, _ message: String, callID: String? = nil,
                    timeout: Duration = .seconds(15)) async throws {
    var condition = "document.body.dataset.lastCallEnd === \(jsString(reason))"
        + " && document.body.dataset.lastCallMessage === \(jsString(message))"
    if let callID { condition += " && document.body.dataset.lastCallId === \(jsString(callID))" }
    try await page.waitUntil(condition, timeout: timeout)
}
