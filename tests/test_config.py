"""replywatch.toml loading: the example file works, bad files fail clearly."""

from __future__ import annotations

import pytest

from replywatch.config import ConfigError, load_config, parse_config
from tests.collectors_support import REPO_ROOT


def test_example_file_loads():
    config = load_config(REPO_ROOT / "replywatch.example.toml")
    acme = config.brand("acme")
    assert acme.x.handles == ("AcmeHelp", "AcmeStore")
    assert acme.x.search_query() == '("acme store" OR acmestore) -is:retweet'
    assert acme.reddit.subreddits == ("acme", "BuyItForLife")
    assert set(acme.settings) == {"business_hours", "holidays", "sla", "urgency", "alerts"}
    assert acme.brand_row()["settings"]["sla"] == {"first_response_minutes": 60}
    assert ("x", "AcmeHelp", None) in acme.accounts()
    assert config.collector.x_monthly_read_cap == 10000


def write(tmp_path, text: str):
    path = tmp_path / "replywatch.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "[brands.a]\nname = 'A'\ntimezone = 'Mars/Olympus'\n[brands.a.x]\nhandles=['a1']",
            "unknown timezone 'Mars/Olympus'",
        ),
        ("[brands.a.x]\nhandels = ['a1']", "unknown key(s) handels"),
        ("[brands.a.x]\nhandles = ['not a handle']", "is not an X handle"),
        ("[brands.a.x]\nhandles = ['a1']\nbearer_token = 'abc'", "credentials are not read"),
        (
            "[collector]\nevery_seconds = 'often'\n[brands.a.x]\nhandles=['a1']",
            "collector.every_seconds must be a number",
        ),
        ("[collector]\npage_size = 500\n[brands.a.x]\nhandles=['a1']", "at most 100"),
        ("[brands.a.reddit]\nsubreddits = ['acme']", "add keywords"),
        ("[brands.a]\nname='A'", ""),  # no sources at all is allowed (imports only)
        ("", "no brands configured"),
        ("[brands.a.x]\nhandles=['same']\n[brands.b.x]\nhandles=['SAME']", "both brands.a and"),
        ("[brands.A.x]\nhandles=['a1']", "brand keys are lower-case"),
        ("[brands.a.sla]\n", ""),
        ("brands = 3", "brands must be a table"),
        ("[brands.a.outcomes]\nrepeat_contact_days = 3", ""),
        ("[brands.a.outcomes]\nrepeat_contact_days = 0", "a positive number of days"),
        ("[brands.a.outcomes]\nrepeat_days = 3", "unknown key(s) repeat_days"),
    ],
)
def test_bad_config_is_refused_with_a_clear_message(tmp_path, text, message):
    path = write(tmp_path, text)
    if not message:
        load_config(path)
        return
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[brands\n"))


def test_cap_zero_means_no_cap():
    config = parse_config(
        {"collector": {"x_monthly_read_cap": 0}, "brands": {"a": {"x": {"handles": ["a1"]}}}}
    )
    assert config.collector.x_monthly_read_cap is None
