#!/usr/bin/env bash
# Serve the web app on 127.0.0.1:8000 together with a Celery worker and beat; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_DEBUG="${DJANGO_DEBUG:-true}"
celery=.venv/bin/celery
pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "正在停止 web / worker / beat…"
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT
$celery -A config worker --loglevel=INFO --concurrency=2 & pids+=($!)
$celery -A config beat --loglevel=INFO --pidfile= --schedule=var/celerybeat-schedule & pids+=($!)
echo "绩效通: http://127.0.0.1:8000/  (演示账号见 README.md；Ctrl-C 停止)"
.venv/bin/python manage.py runserver 127.0.0.1:8000 & pids+=($!)
wait -n "${pids[@]}"
