// Telemetry module.
