"""Seconds from `python run.py` on a fresh copy of the repository to the first 200 of /login/.

Copies the files git knows of (tracked, including uncommitted changes) to a temp dir, so instance/ is fresh
(no database, no converted font, no secret key), starts README command 1 (`python run.py`) there with this
interpreter (the venv) on a free port, and polls /login/ until it answers 200. Prints the figure and, with
--pdf, also the seconds until the font is ready (instance/fonts/*.ttf exists). Asserts nothing.

    .venv/bin/python bench/first_start.py [--keep] [--pdf] [--timeout 180]
"""
import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _copy_repo(dest: Path) -> None:
    names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                           check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, names):
        src = REPO / name
        if src.is_file() and not name.startswith("instance/"):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("--keep", action="store_true", help="keep the temp copy and print its path")
    parser.add_argument("--pdf", action="store_true", help="also wait for the PDF font to be ready")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="hr-first-start-"))
    _copy_repo(workdir)
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "UPLOAD_FOLDER", "SECRET_KEY", "FLASK_APP"}}
    env.update(HOST="127.0.0.1", PORT=str(port), PYTHONDONTWRITEBYTECODE="1")
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    log = open(workdir / "run.log", "wb")
    started = time.perf_counter()
    # Its own process group: stopping it also stops the font conversion child that run.py starts.
    proc = subprocess.Popen([sys.executable, "run.py"], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    first_page = font = None
    try:
        while time.perf_counter() - started < args.timeout and proc.poll() is None:
            if first_page is None and _status(f"http://127.0.0.1:{port}/login/") == 200:
                first_page = time.perf_counter() - started
            if args.pdf and font is None and any((workdir / "instance" / "fonts").glob("*.ttf")):
                font = time.perf_counter() - started
            if first_page is not None and (font is not None or not args.pdf):
                break
            time.sleep(0.1)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}" if load else "load average unknown")
    print(f"first 200 of /login/: {first_page:.1f} s" if first_page is not None else
          f"no 200 of /login/ within {args.timeout:.0f} s (see {workdir / 'run.log'})")
    if args.pdf:
        print(f"PDF font ready: {font:.1f} s" if font is not None else "PDF font not ready before the end")
    if args.keep or first_page is None:
        print(f"copy kept at {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
