// The C API's header (include/ringlet_device.h, linked here) for the Swift implementation in RingletDeviceC.
#include "ringlet_device.h"
