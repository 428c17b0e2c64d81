// Package scheduler starts tasks on the timetables of schedules: cron
// expressions, evaluated in the server's time zone, and one-off run_at
// times.
//
// Every firing is first claimed in the database (store.Schedules.ClaimTick,
// a compare-and-set of the schedule's last_fired): only the claim's winner
// starts the task. So a tick starts at most one task, however many servers
// run a scheduler on the same database and however they restart.
//
// Missed cron ticks (the server was down) are skipped, as cron(8) does. A
// run_at schedule whose time passed while the server was down still fires
// when the server starts within Config.CatchUp of that time; later, it is
// made inactive without starting a task. "@every <d>" ticks fall on
// multiples of d counted from a fixed origin, not from the server's start,
// so that every server and restart agrees on them.
package scheduler
