"""The built wheel installs ONE top-level package, ``replywatch``, so it can sit
next to other distributions that ship generic names (``config``, ``metrics``)
without either overwriting the other."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(kwargs.pop("env", {}))
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False, **kwargs
    )


def _build_wheel(source: Path, distribution: str, out: Path) -> Path:
    result = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--disable-pip-version-check",
            "-w",
            str(out),
            str(source),
        ],
        cwd=out,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = out.glob(f"{distribution}-*.whl")
    return wheel


@pytest.fixture(scope="module")
def replywatch_wheel(tmp_path_factory) -> Path:
    return _build_wheel(REPO_ROOT, "replywatch", tmp_path_factory.mktemp("wheel"))


def test_the_wheel_holds_one_top_level_package(replywatch_wheel):
    names = zipfile.ZipFile(replywatch_wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"replywatch", replywatch_wheel.name.split("-py")[0] + ".dist-info"}
    for module in (
        "cli.py",
        "config.py",
        "dashboard.py",
        "store/db.py",
        "metrics/engine.py",
        "collectors/base.py",
        "sentiment/core.py",
        "views/triage.py",
    ):
        assert f"replywatch/{module}" in names
    assert not any(
        name.startswith(("replywatch/tests/", "replywatch/benchmarks/")) for name in names
    )


def test_the_wheel_ships_the_translation_catalogues(replywatch_wheel):
    names = zipfile.ZipFile(replywatch_wheel).namelist()
    for locale in ("pt_BR", "pt_PT"):
        assert f"replywatch/locales/{locale}/LC_MESSAGES/replywatch.po" in names
    assert "replywatch/locales/replywatch.pot" in names


def test_installs_beside_a_package_that_ships_config_and_metrics(replywatch_wheel, tmp_path):
    # Another distribution with the generic top-level names replywatch used to take.
    other = tmp_path / "generic-names"
    (other / "metrics").mkdir(parents=True)
    (other / "config.py").write_text("OWNER = 'generic-names'\n")
    (other / "metrics" / "__init__.py").write_text("OWNER = 'generic-names'\n")
    (other / "pyproject.toml").write_text(
        textwrap.dedent("""\
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "generic-names"
        version = "1.0"
        [tool.setuptools]
        py-modules = ["config"]
        packages = ["metrics"]
        """)
    )
    other_wheel = _build_wheel(other, "generic_names", tmp_path)

    venv = tmp_path / "venv"
    # System site-packages supply the dependencies; the venv's own site-packages
    # come first, so what is imported below is what these two wheels installed.
    assert (
        _run(
            [sys.executable, "-m", "venv", "--system-site-packages", str(venv)], cwd=tmp_path
        ).returncode
        == 0
    )
    python, script = venv / "bin" / "python", venv / "bin" / "replywatch"
    for wheel in (replywatch_wheel, other_wheel):  # the other one last: it used to overwrite
        installed = _run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "--no-deps",
                "--disable-pip-version-check",
                str(wheel),
            ],
            cwd=tmp_path,
        )
        assert installed.returncode == 0, installed.stderr[-2000:]

    help_run = _run([str(script), "--help"], cwd=tmp_path)
    assert help_run.returncode == 0, help_run.stderr
    assert "import" in help_run.stdout and "dashboard" in help_run.stdout

    site = str(venv)
    check = textwrap.dedent(f"""\
        import config, metrics
        assert config.OWNER == metrics.OWNER == "generic-names"
        import replywatch.config, replywatch.metrics.engine, replywatch.store.db
        from replywatch.dashboard_launcher import DASHBOARD_SCRIPT
        for path in (replywatch.config.__file__, replywatch.store.db.__file__,
                     str(DASHBOARD_SCRIPT)):
            assert path.startswith({site!r}), path
        from streamlit.testing.v1 import AppTest
        app = AppTest.from_file(str(DASHBOARD_SCRIPT), default_timeout=60).run()
        assert not app.exception, app.exception
        print("dashboard title:", app.title[0].value if app.title else "")
        from replywatch import i18n
        assert i18n.LOCALES_DIR.is_relative_to({site!r}), i18n.LOCALES_DIR
        assert i18n.gettext_for("pt-BR", "Triage") == "Triagem"
        """)
    db = tmp_path / "empty.db"
    result = _run([str(python), "-c", check], cwd=tmp_path, env={"REPLYWATCH_DB": str(db)})
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "dashboard title:" in result.stdout
