"""`make deploy`: deploy the Worker to the Cloudflare account wrangler is logged in to.

In order: build the upload offline (`wrangler deploy --dry-run`) and print its size; check the
login; create what wrangler.toml names and the account lacks (the D1 database, whose id is then
written into wrangler.toml; the R2 bucket; the resolve queue and its dead-letter queue); apply
the migrations to the remote database; deploy; then say what is left to do by hand (secrets not
set, the CDN's domain, an admin key). Existing resources are used as they are, so on the
original Rewind API's account, with wrangler.toml pointing at its database and bucket, nothing
of it is created or changed but this service's own migrations (docs/operations.md).

`make deploy DRY_RUN=1` (`--dry-run`) only builds the upload and prints its size: offline, no
account needed (`make test` runs it).

    .venv/bin/python scripts/deploy.py [--dry-run] [--config wrangler.toml]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from rewind_images.config import SECRET_ENV_KEYS

ROOT = Path(__file__).resolve().parent.parent
WRANGLER = ROOT / "scripts" / "wrangler-local"
OUTDIR = ROOT / ".build" / "deploy"
PLACEHOLDER_DATABASE_ID = "00000000-0000-0000-0000-000000000000"
UPLOAD_SIZE = re.compile(r"Total Upload: ([\d.]+ \w+) / gzip: ([\d.]+ \w+)")


@dataclass(frozen=True)
class Ran:
    """A finished wrangler command."""

    returncode: int
    output: str


# A wrangler command: its arguments, and whether its output is shown as it runs (else captured).
Wrangler = Callable[[Sequence[str], bool], Ran]


def run_wrangler(args: Sequence[str], show: bool) -> Ran:
    """Run `scripts/wrangler-local` non-interactively (CI=1: confirmations take their default)."""
    env = {**os.environ, "CI": "1"}
    if show:
        done = subprocess.run([str(WRANGLER), *args], cwd=ROOT, env=env, check=False)
        return Ran(done.returncode, "")
    captured = subprocess.run(
        [str(WRANGLER), *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    return Ran(captured.returncode, captured.stdout + captured.stderr)


class DeployError(Exception):
    """A step failed; nothing after it ran."""


@dataclass(frozen=True)
class Plan:
    """What wrangler.toml names."""

    path: Path
    worker: str
    database_name: str
    database_id: str
    bucket: str
    queues: tuple[str, ...]
    cdn_base_url: str

    @classmethod
    def read(cls, path: Path) -> Plan:
        config = tomllib.loads(path.read_text())
        database = config["d1_databases"][0]
        queues = config.get("queues", {})
        names = [p["queue"] for p in queues.get("producers", [])]
        for consumer in queues.get("consumers", []):
            names += [consumer["queue"], consumer.get("dead_letter_queue", consumer["queue"])]
        return cls(
            path=path,
            worker=config["name"],
            database_name=database["database_name"],
            database_id=database["database_id"],
            bucket=config["r2_buckets"][0]["bucket_name"],
            queues=tuple(dict.fromkeys(names)),
            cdn_base_url=config.get("vars", {}).get("CDN_BASE_URL", ""),
        )

    def config_args(self) -> list[str]:
        """`--config` when it is not the default wrangler.toml."""
        return [] if self.path == ROOT / "wrangler.toml" else ["--config", str(self.path)]


class Deployment:
    """The steps, over a wrangler runner (a fake in tests)."""

    def __init__(self, plan: Plan, wrangler: Wrangler, say: Callable[[str], None]) -> None:
        self.plan = plan
        self.wrangler = wrangler
        self.say = say

    def _run(self, *args: str, show: bool = False, what: str) -> Ran:
        ran = self.wrangler(list(args), show)
        if ran.returncode != 0:
            raise DeployError(f"{what} failed (wrangler {' '.join(args)}):\n{ran.output}")
        return ran

    def build(self, outdir: Path) -> str:
        """Build the upload as `wrangler deploy` would, offline; its size as wrangler counts."""
        shutil.rmtree(outdir, ignore_errors=True)  # only this build's files in it
        ran = self._run(
            "deploy",
            "--dry-run",
            "--outdir",
            str(outdir),
            *self.plan.config_args(),
            what="building the upload",
        )
        size = UPLOAD_SIZE.search(ran.output)
        if size is None:
            raise DeployError(f"wrangler printed no upload size:\n{ran.output}")
        return f"{size.group(1)} (gzip {size.group(2)})"

    def check_login(self) -> None:
        if self.wrangler(["whoami", "--json"], False).returncode != 0:
            raise DeployError(
                "not logged in: run `scripts/wrangler-local login`, or set CLOUDFLARE_API_TOKEN"
                " (and CLOUDFLARE_ACCOUNT_ID)"
            )

    def _database_id(self) -> str | None:
        listed = json.loads(self._run("d1", "list", "--json", what="listing D1 databases").output)
        found = [d["uuid"] for d in listed if d.get("name") == self.plan.database_name]
        return found[0] if found else None

    def ensure_database(self) -> None:
        """The D1 database exists and wrangler.toml has its id."""
        database_id = self._database_id()
        if database_id is None:
            self.say(f"creating D1 database {self.plan.database_name}")
            self._run("d1", "create", self.plan.database_name, what="creating the D1 database")
            database_id = self._database_id()
            if database_id is None:
                raise DeployError(f"D1 database {self.plan.database_name} not found after create")
        else:
            self.say(f"D1 database {self.plan.database_name}: {database_id}")
        if database_id != self.plan.database_id:
            text = self.plan.path.read_text()
            line = f'database_id = "{self.plan.database_id}"'
            if text.count(line) != 1:
                raise DeployError(f"cannot find the line {line} in {self.plan.path}")
            self.plan.path.write_text(text.replace(line, f'database_id = "{database_id}"'))
            self.say(f"wrote its id into {self.plan.path.name} (commit it)")

    def ensure_bucket(self) -> None:
        listed = self._run("r2", "bucket", "list", what="listing R2 buckets").output
        names = re.findall(r"^name:\s+(\S+)\s*$", listed, flags=re.MULTILINE)
        if self.plan.bucket in names:
            self.say(f"R2 bucket {self.plan.bucket}: exists")
            return
        self.say(f"creating R2 bucket {self.plan.bucket}")
        self._run("r2", "bucket", "create", self.plan.bucket, what="creating the R2 bucket")

    def ensure_queues(self) -> None:
        for queue in self.plan.queues:
            info = self.wrangler(["queues", "info", queue], False)
            if info.returncode == 0:
                self.say(f"queue {queue}: exists")
                continue
            if "does not exist" not in info.output:
                raise DeployError(f"looking up queue {queue} failed:\n{info.output}")
            self.say(f"creating queue {queue}")
            self._run("queues", "create", queue, what=f"creating queue {queue}")

    def migrate_and_deploy(self) -> None:
        config = self.plan.config_args()
        self.say("applying migrations to the remote database")
        self._run(
            "d1", "migrations", "apply", "DB", "--remote", *config, show=True, what="migrating"
        )
        self.say("deploying")
        self._run("deploy", *config, show=True, what="deploying")

    def left_to_do(self) -> list[str]:
        """What deploying cannot do: secrets, the CDN's domain, a key."""
        todo = []
        listed = self.wrangler(["secret", "list", *self.plan.config_args()], False)
        present = (
            {s["name"] for s in json.loads(listed.output)} if listed.returncode == 0 else set()
        )
        for name in SECRET_ENV_KEYS:
            if name not in present:
                todo.append(
                    f"secret {name} is not set (its source is skipped):"
                    f" scripts/wrangler-local secret put {name}"
                )
        host = urlsplit(self.plan.cdn_base_url).hostname or self.plan.cdn_base_url
        domains = self.wrangler(["r2", "bucket", "domain", "list", self.plan.bucket], False)
        connected = domains.returncode == 0 and re.search(
            rf"^domain:\s+{re.escape(host)}\s*$", domains.output, flags=re.MULTILINE
        )
        if not connected:
            todo.append(
                f"DNS: CDN_BASE_URL's host {host} is not a custom domain of bucket"
                f" {self.plan.bucket}: scripts/wrangler-local r2 bucket domain add"
                f" {self.plan.bucket} --domain {host} --zone-id <zone>, and enable Image"
                " Transformations on that zone (the redirects' /cdn-cgi/image/ URLs need them)"
            )
        todo.append(
            f"the Worker answers on its workers.dev address; callers bind it as service"
            f" {self.plan.worker} (docs/operations.md), or add a route to wrangler.toml"
        )
        todo.append("an admin key: make key SCOPE=admin REMOTE=1")
        return todo

    def run(self, outdir: Path, *, dry_run: bool) -> None:
        size = self.build(outdir)
        self.say(f"upload: {size}, built in {outdir}")
        if dry_run:
            return
        self.check_login()
        self.ensure_database()
        self.plan = Plan.read(self.plan.path)  # with the database's id
        self.ensure_bucket()
        self.ensure_queues()
        self.migrate_and_deploy()
        self.say("deployed; left to do:")
        for item in self.left_to_do():
            self.say(f"  - {item}")


def main(argv: Sequence[str] | None = None, wrangler: Wrangler = run_wrangler) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="only build the upload, offline")
    parser.add_argument("--config", type=Path, default=ROOT / "wrangler.toml")
    parser.add_argument("--outdir", type=Path, default=OUTDIR)
    args = parser.parse_args(argv)
    deployment = Deployment(
        Plan.read(args.config.resolve()), wrangler, lambda line: print(f"deploy: {line}")
    )
    try:
        deployment.run(args.outdir, dry_run=args.dry_run)
    except DeployError as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
