// The help text on configuration and exit codes that every command shows; README repeats it.
export const ENVIRONMENT_HELP = `
Environment:
  DATABASE_URL    PostgreSQL server to use (postgres://user:pass@host/db); unset = the embedded
                  database (PGlite) in RIDESCAN_HOME/db
  RIDESCAN_HOME   where the embedded database lives (default ./.ridescan)
  RIDESCAN_CRON   when \`ridescan schedule\` runs the nightly job, in the database's service time
                  zone (\`ridescan time-zone\`) (default 15 2 * * *)
  RIDESCAN_LOG_FORMAT  json or pretty (default: pretty on a terminal, json otherwise)
  RIDESCAN_LOG_LEVEL   trace, debug, info, warn, error or fatal (default info)
  RIDESCAN_TENSOR_BACKEND  tensorflow, wasm or cpu: the TF.js backend to prefer (default: the
                  first of them that loads); the one used is recorded with each run
  RIDESCAN_ALERT_COMMAND  a command line that \`schedule\` and \`backfill\` run with /bin/sh -c,
                  one JSON event on its stdin per event (run_failed, no_rides, drift, flag_rate);
                  killed after 10 s; its failure is logged and scoring goes on (default: unset)
  RIDESCAN_WORKER_RECOVERY_SECONDS  a queued day left active this long by a worker that died
                  (SIGKILL, power) is retried by a live \`ridescan worker\` (default 30)

Exit codes:
  0  done
  1  the work failed (a failed run is recorded; the previous flags are intact)
  2  usage or configuration error: nothing was done
  3  the database cannot be reached or its schema is not current (run \`ridescan migrate\`)
  4  \`backfill --queue\` on a server where no \`ridescan worker\` is running: nothing was queued`;
