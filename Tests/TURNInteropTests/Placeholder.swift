// Tests for TURNInteropTests
