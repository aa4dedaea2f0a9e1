// Snapshot module.
