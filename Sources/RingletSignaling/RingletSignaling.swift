// The signaling module: messages, call router, device keys.
