import Foundation
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// docs/screenshots in the source tree.
let screenshotsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("docs/screenshots")

/// Takes a screenshot of `page` and checks it is a PNG of the phone's size (390×844 at scale 2). With
/// `RINGLET_UPDATE_SCREENSHOTS=1` it replaces docs/screenshots/NAME.png (docs/screenshots/README.md).
func screenshot(_ page: WebPage, _ name: String) async throws {
    // Let transitions and fonts settle so that the picture is what a person sees.
    try await Task.sleep(for: .milliseconds(300))
    let png = try await page.screenshot()
    let size = pngSize(png)
    #expect(size?.width == 780 && size?.height == 1688, "\(name): a 390×844 phone screen at scale 2, got \(String(describing: size))")
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
func signIn(_ page: WebPage, as name: String) async throws {
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
func token(of page: WebPage) async throws -> String {
    try await page.string("sessionStorage.getItem('ringlet.token')")
}

/// The signed-in user's openId, read through the API with the page's token.
func openID(of page: WebPage, server: DevServer) async throws -> String {
    let me = try server.request("GET", "/v1/me", .user(try await token(of: page)))
    return (me.json["user"] as? [String: Any])?["openId"] as? String ?? ""
}

/// Types an SN and a ticket into the authorize form and submits it.
func authorize(_ page: WebPage, sn: String, ticket: String) async throws {
    try await page.type(sn, into: "Device SN")
    try await page.type(ticket, into: "SN ticket")
    try await page.click(button: "Authorize")
}

/// A CSS selector for the device row of `sn`.
func deviceRow(_ sn: String) -> String { "#device-list li[data-sn=\"\(sn)\"]" }

/// A stand-in device `sn` named `name`, authorized by the page's user (through the page's form), connected,
/// and shown online (the Devices tab reloads the list at once rather than at the next refresh).
func authorizedDevice(_ bench: WebAppBench, _ page: WebPage, sn: String, name: String) async throws -> SignalingDevice {
    let ticket = try bench.server.issueTicket(sn: sn, deviceName: name)
    try await authorize(page, sn: sn, ticket: ticket)
    try await page.waitUntil("document.querySelector('\(deviceRow(sn))')")
    let device = try await bench.connectDevice(sn: sn, ticket: ticket)
    try await page.click(tab: "Devices")
    try await page.waitUntil("document.querySelector('\(deviceRow(sn))')?.dataset.online === 'true'")
    return device
}

/// Waits until the page's last ended call ended for `reason` with `message` on screen (the page keeps both after
/// the call view closes, so a slow poll cannot miss the few seconds it is shown).
func waitForCallEnd(_ page: WebPage, _ reason: String, _ message: String, callID: String? = nil,
                    timeout: Duration = .seconds(15)) async throws {
    var condition = "document.body.dataset.lastCallEnd === \(jsString(reason))"
        + " && document.body.dataset.lastCallMessage === \(jsString(message))"
    if let callID { condition += " && document.body.dataset.lastCallId === \(jsString(callID))" }
    try await page.waitUntil(condition, timeout: timeout)
}
