"""`make deploy` (scripts/deploy.py): the dry run builds the real upload offline and prints its
size; a deployment creates only what the account lacks, stops at the first failing step, and
says what is left. The account is a fake wrangler here (no network in tests)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from scripts import deploy
from scripts.deploy import Ran

from rewind_images.config import SECRET_ENV_KEYS

ROOT = Path(__file__).resolve().parents[3]
DATABASE_ID = "4b1d0c3e-0000-4000-8000-00000000d1d1"


def test_the_dry_run_builds_the_upload_offline_and_prints_its_size(tmp_path: Path) -> None:
    outdir = tmp_path / "upload"
    done = subprocess.run(
        [sys.executable, "scripts/deploy.py", "--dry-run", "--outdir", str(outdir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    size = re.search(r"upload: ([\d.]+) KiB \(gzip ([\d.]+) KiB\)", done.stdout)
    assert size is not None, done.stdout
    assert 0 < float(size.group(2)) < float(size.group(1))
    files = {p.relative_to(outdir).as_posix() for p in outdir.rglob("*") if p.is_file()}
    assert {"entry.py", "rewind_images/app.py", "rewind_images/images/admin/listing.py"} <= files
    assert any(f.startswith("python_modules/pydantic/") for f in files)
    assert not [f for f in files if f.endswith(".pyc") or f.startswith(("tests/", "devkit/"))]


def test_make_deploy_passes_dry_run_on() -> None:
    # Not as a sub-make of `make test` (whose flags would come along).
    alone = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}

    def command(*args: str) -> str:
        listed = subprocess.run(
            ["make", "--no-print-directory", "-n", "deploy", *args],
            cwd=ROOT,
            env=alone,
            capture_output=True,
            text=True,
            check=True,
        )
        return next(line.strip() for line in listed.stdout.splitlines() if "deploy.py" in line)

    assert command("DRY_RUN=1").endswith("scripts/deploy.py --dry-run")
    assert command().endswith("scripts/deploy.py")


@dataclass
class FakeAccount:
    """A Cloudflare account as wrangler shows it; records every command."""

    logged_in: bool = True
    databases: dict[str, str] = field(default_factory=dict)
    buckets: set[str] = field(default_factory=set)
    queues: set[str] = field(default_factory=set)
    secrets: set[str] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)
    failing: str | None = None  # a command (joined arguments) that fails
    calls: list[str] = field(default_factory=list)

    def __call__(self, args: Sequence[str], show: bool) -> Ran:
        line = " ".join(args)
        self.calls.append(line)
        if self.failing is not None and line.startswith(self.failing):
            return Ran(1, "✘ [ERROR] it failed")
        match list(args):
            case ["deploy", "--dry-run", *_]:
                return Ran(0, "Total Upload: 1007.85 KiB / gzip: 257.90 KiB\n--dry-run: exiting")
            case ["whoami", "--json"]:
                return Ran(0 if self.logged_in else 1, "{}")
            case ["d1", "list", "--json"]:
                listed = [{"uuid": u, "name": n} for n, u in self.databases.items()]
                return Ran(0, json.dumps(listed))
            case ["d1", "create", name]:
                self.databases[name] = DATABASE_ID
                return Ran(0, "created")
            case ["r2", "bucket", "list"]:
                return Ran(
                    0, "\n\n".join(f"name:           {b}\ncreation_date:  x" for b in self.buckets)
                )
            case ["r2", "bucket", "create", name]:
                self.buckets.add(name)
                return Ran(0, "created")
            case ["queues", "info", name]:
                if name in self.queues:
                    return Ran(0, f"Queue Name: {name}")
                return Ran(1, f'✘ [ERROR] Queue "{name}" does not exist.')
            case ["queues", "create", name]:
                self.queues.add(name)
                return Ran(0, "created")
            case ["d1", "migrations", "apply", "DB", "--remote", *_] | ["deploy", *_]:
                return Ran(0, "")
            case ["secret", "list", *_]:
                return Ran(
                    0, json.dumps([{"name": s, "type": "secret_text"} for s in self.secrets])
                )
            case ["r2", "bucket", "domain", "list", _]:
                return Ran(0, "\n\n".join(f"domain:  {d}\nenabled: Yes" for d in self.domains))
        raise AssertionError(f"unexpected wrangler {line}")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A copy of wrangler.toml (deploying writes the database's id into it)."""
    path = tmp_path / "wrangler.toml"
    shutil.copy(ROOT / "wrangler.toml", path)
    return path


def deploying(
    config: Path, account: FakeAccount, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    status = deploy.main(["--config", str(config), "--outdir", str(config.parent / "out")], account)
    captured = capsys.readouterr()
    return status, captured.out + captured.err


QUEUES = ("rewind-images-resolve", "rewind-images-resolve-dlq")


def test_an_empty_account_gets_everything_created_then_migrated_and_deployed(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    account = FakeAccount()
    status, said = deploying(config, account, capsys)
    assert status == 0, said
    creations = [c for c in account.calls if " create " in f" {c} "]
    assert creations == [
        "d1 create rewind-images",
        "r2 bucket create rewind-images",
        *(f"queues create {q}" for q in QUEUES),
    ]
    config_args = f"--config {config}"
    assert account.calls.index(
        f"d1 migrations apply DB --remote {config_args}"
    ) < account.calls.index(f"deploy {config_args}")
    assert f'database_id = "{DATABASE_ID}"' in config.read_text()
    assert "upload: 1007.85 KiB (gzip 257.90 KiB)" in said
    for name in SECRET_ENV_KEYS:
        assert f"secret {name} is not set" in said
    assert (
        "DNS: CDN_BASE_URL's host cdn.rewind.rest is not a custom domain of bucket rewind-images"
        in said
    )


def test_an_account_that_has_everything_gets_nothing_created(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config.write_text(
        config.read_text().replace("00000000-0000-0000-0000-000000000000", DATABASE_ID)
    )
    before = config.read_text()
    account = FakeAccount(
        databases={"rewind-images": DATABASE_ID},
        buckets={"other", "rewind-images"},
        queues=set(QUEUES),
        secrets=set(SECRET_ENV_KEYS),
        domains={"cdn.rewind.rest"},
    )
    status, said = deploying(config, account, capsys)
    assert status == 0, said
    assert not [c for c in account.calls if " create " in f" {c} "]
    assert config.read_text() == before
    assert "is not set" not in said
    assert "DNS:" not in said
    assert "make key SCOPE=admin REMOTE=1" in said


def test_an_existing_database_gets_its_id_written(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As on the original's account: wrangler.toml names its database, which exists.
    config.write_text(
        config.read_text().replace('database_name = "rewind-images"', 'database_name = "rewind-db"')
    )
    account = FakeAccount(databases={"rewind-db": DATABASE_ID})
    status, said = deploying(config, account, capsys)
    assert status == 0, said
    assert "d1 create rewind-db" not in account.calls
    assert f'database_id = "{DATABASE_ID}"' in config.read_text()


def test_not_logged_in_stops_before_anything_changes(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    account = FakeAccount(logged_in=False)
    status, said = deploying(config, account, capsys)
    assert status == 1
    assert "not logged in" in said
    assert account.calls == [account.calls[0], "whoami --json"]  # the build, then the login


def test_a_failing_migration_stops_before_the_deploy(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    account = FakeAccount(failing="d1 migrations apply")
    status, said = deploying(config, account, capsys)
    assert status == 1
    assert "migrating failed" in said
    assert not [c for c in account.calls if c.startswith("deploy ") and "--dry-run" not in c]
