"""`make load`: a bounded load test against production-like servers on loopback; report in bench-results/load.md.

    LOAD_DATABASE_URL=postgres://postgres@127.0.0.1:5432/collect_bench python -m devtools.load.run

Steps: create the database if missing, migrate, generate the benchmark tenant if missing (LOAD_SIZES), create an
API key for the integrator; start gunicorn (collect.settings.load: production settings over plain HTTP, LOAD_WORKERS
workers x LOAD_THREADS threads on 127.0.0.1:LOAD_PORT), a Celery worker and beat; run Locust headless
(LOAD_USERS staff users plus one integrator, LOAD_SPAWN_RATE per second, for LOAD_RUN_TIME); write the
per-endpoint table; stop everything it started. Exits 1 when any request failed, 2 when the servers did not start.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
BIN = Path(PY).parent
DATABASE_URL = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/collect_bench")
# When set (make load sets it to the bench database), the load database is made afresh as a copy of this one.
COPY_OF = os.environ.get("LOAD_COPY_OF", "")
SIZES = os.environ.get("LOAD_SIZES", "--organizations 10 --customers 200000 --invoices 1000000").split()
USERS = int(os.environ.get("LOAD_USERS", "50"))
SPAWN_RATE = os.environ.get("LOAD_SPAWN_RATE", "5")
RUN_TIME = os.environ.get("LOAD_RUN_TIME", "3m")
PORT = int(os.environ.get("LOAD_PORT", "8765"))
WORKERS = os.environ.get("LOAD_WORKERS", "3")
THREADS = os.environ.get("LOAD_THREADS", "2")
REPORT = ROOT / os.environ.get("LOAD_REPORT", "bench-results/load.md")
WORK = ROOT / "var" / "load"
TENANT = "Bench"
ORGANIZATION = "bench-1"
PASSWORD = os.environ.get("BENCH_PASSWORD") or "bench-password-2026"


def environment() -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "DJANGO_SETTINGS_MODULE": "collect.settings.load",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "load-test-only-" + "x" * 40),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
    }
    env.setdefault("SITE_URL", f"http://127.0.0.1:{PORT}")
    return env


def manage(*args: str, env: dict) -> str:
    command = [PY, "manage.py", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True)  # noqa: S603
    return done.stdout


def prepare(env: dict) -> dict[str, str]:
    source = {**env, "DATABASE_URL": COPY_OF} if COPY_OF else env
    subprocess.run([PY, "-m", "devtools.bench.database"], cwd=ROOT, env=source, check=True)  # noqa: S603
    manage("migrate", "--noinput", env=source)
    print(manage("generate_data", *SIZES, "--tenant", TENANT, "--if-missing", env=source).strip().splitlines()[-1])
    if COPY_OF:
        # Every run starts from the same data: the ticks, messages and API writes of a run stay in its copy.
        import environ

        from devtools.bench.database import copy_database

        copy_database(COPY_OF, environ.Env.db_url_config(DATABASE_URL)["NAME"])
        print(f"load database: a fresh copy of {environ.Env.db_url_config(COPY_OF)['NAME']}")
    manage("collectstatic", "--noinput", env=env)
    key = (
        manage(
            "create_api_key",
            "--organization",
            ORGANIZATION,
            "--name",
            f"load {datetime.now(UTC):%Y-%m-%d %H:%M}",
            "--scope",
            "read_write",
            env=env,
        )
        .strip()
        .splitlines()[-1]
    )
    script = (
        "from organizations.models import Membership, Organization;"
        f"o = Organization.objects.get(slug={ORGANIZATION!r});"
        "print(','.join(Membership.objects.filter(tenant=o.tenant).values_list('user__email', flat=True)));"
        "refs = o.customers.exclude(external_ref='').order_by('id').values_list('external_ref', flat=True);"
        "print(','.join(refs[:500]))"
    )
    logins, refs = manage("shell", "-c", script, env=env).strip().splitlines()[-2:]
    return {
        "LOAD_ORGANIZATION": ORGANIZATION,
        "LOAD_LOGINS": logins,
        "LOAD_PASSWORD": PASSWORD,
        "LOAD_API_KEY": key,
        "LOAD_CUSTOMER_REFS": refs,
    }


def start(name: str, command: list[str], env: dict) -> subprocess.Popen:
    log = open(WORK / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(  # noqa: S603 - our own fixed commands
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # its own session: gunicorn's and Celery's children too
    deadline = time.monotonic() + 20
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_until_up(url: str, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - http://127.0.0.1 only
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


def ms(value: str) -> str:
    return "–" if value in ("", "N/A") else f"{float(value):.0f}"


def report(stats_csv: Path, started: datetime, seconds: float) -> tuple[str, int]:
    rows = list(csv.DictReader(stats_csv.open()))
    failures = 0
    lines = [
        "# Load test (`make load`)",
        "",
        f"{started:%Y-%m-%d %H:%M} UTC, {seconds:.0f} s: {USERS} staff users (1-3 s think time) "
        "and one API integrator, "
        f"gunicorn {WORKERS} workers x {THREADS} threads (collect.settings.load), Celery worker and beat, "
        f"database `{DATABASE_URL.rsplit('/', 1)[-1]}` ({' '.join(SIZES)}).",
        "",
        "| endpoint | requests | failures | median ms | p95 ms | p99 ms | req/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        name = "**all**" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
        failures += int(row["Failure Count"]) if row["Name"] == "Aggregated" else 0
        figures = [
            row["Request Count"],
            row["Failure Count"],
            ms(row["Median Response Time"]),
            ms(row["95%"]),
            ms(row["99%"]),
            f"{float(row['Requests/s']):.1f}",
        ]
        lines.append(f"| {name} | " + " | ".join(figures) + " |")
    return "\n".join(lines) + "\n", failures


def background(env: dict, started: datetime) -> str:
    """What the worker and beat did meanwhile: ticks run and skipped, messages decided and delivered."""
    script = (
        "from messaging.models import Dispatch;"
        "from django.db.models import Count;"
        f"new = Dispatch.objects.filter(created_at__gte={started.isoformat()!r});"
        "print(new.count(), Dispatch.objects.filter(sent_at__gte="
        f"{started.isoformat()!r}).count())"
    )
    decided, sent = manage("shell", "-c", script, env=env).strip().splitlines()[-1].split()
    log = (WORK / "worker.log").read_text(errors="replace")
    ticks = [line for line in log.splitlines() if "reminders.tick[" in line and "succeeded in" in line]
    skipped = sum("'skipped': True" in line for line in ticks)
    longest = max((float(line.split("succeeded in ")[1].split("s:")[0]) for line in ticks), default=0.0)
    return (
        f"\nMeanwhile the worker (queues deliver, celery, decide, bulk; concurrency 2) wrote {int(decided):,} messages "
        f"decided by the ticks and sent {int(sent):,}; {len(ticks)} ticks finished (the longest {longest:.1f} s), "
        f"{skipped} of them skipped because another was still running (a tick still running at the end is not "
        "counted).\n"
    )


def main() -> int:
    WORK.mkdir(parents=True, exist_ok=True)
    env = environment()
    users = prepare(env)
    processes = [
        start(
            "gunicorn",
            [
                str(BIN / "gunicorn"),
                "collect.wsgi",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--workers",
                WORKERS,
                "--threads",
                THREADS,
                "--timeout",
                "60",
                "--access-logfile",
                "-",
                # Longer than the think time: the default 2 s closes idle connections just as a
                # user reuses them (status 0 in Locust); production has a proxy in front.
                "--keep-alive",
                "10",
            ],
            env,
        ),
        start(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "collect",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "--without-mingle",
                "--without-gossip",
                "-Q",
                "deliver,celery,decide,bulk",
                "-n",
                "load@%h",
            ],
            env,
        ),
        start(
            "beat",
            [
                str(BIN / "celery"),
                "-A",
                "collect",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(WORK / "celerybeat-schedule"),
            ],
            env,
        ),
    ]
    try:
        if not wait_until_up(f"http://127.0.0.1:{PORT}/healthz"):
            print(f"gunicorn did not answer on port {PORT}; see {WORK / 'gunicorn.log'}", file=sys.stderr)
            return 2
        started, clock = datetime.now(UTC), time.monotonic()
        locust = [
            str(BIN / "locust"),
            "-f",
            str(Path(__file__).with_name("locustfile.py")),
            "--headless",
            "--users",
            str(USERS + 1),
            "--spawn-rate",
            SPAWN_RATE,
            "--run-time",
            RUN_TIME,
            "--host",
            f"http://127.0.0.1:{PORT}",
            "--csv",
            str(WORK / "locust"),
            "--only-summary",
            "--stop-timeout",
            "10",
            "--exit-code-on-error",
            "0",
        ]
        subprocess.run(locust, cwd=ROOT, env={**env, **users}, check=False)  # noqa: S603
        text, failures = report(WORK / "locust_stats.csv", started, time.monotonic() - clock)
    finally:
        stop(processes)
    text += background(env, started)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text)
    print(text)
    print(f"Report written to {REPORT.relative_to(ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
