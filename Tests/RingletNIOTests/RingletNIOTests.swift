import Testing
@testable import RingletNIO
