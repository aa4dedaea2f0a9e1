// Backup module.
