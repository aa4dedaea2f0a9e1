// Retention module.
