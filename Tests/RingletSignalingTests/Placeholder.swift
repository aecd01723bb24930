// Tests for RingletSignalingTests
