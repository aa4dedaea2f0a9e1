// Scheduler: cron engine (Cron/) and the daemon that runs jobs on their schedules.
