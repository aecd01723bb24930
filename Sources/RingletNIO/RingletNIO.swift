// RingletNIO: placeholder replaced by the module's first real file.
import RingletCore
