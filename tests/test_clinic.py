"""The clinic configuration: one file, documented defaults, no surprises."""
import pytest

from actions.clinic import DEFAULTS, load, tel


def test_the_shipped_file_sets_every_detail_itself():
    """Every key, the emergency numbers included, is written in clinic.yml: deleting one must fail here, not
    fall back silently to a default."""
    from actions.clinic import DEFAULT_PATH
    import yaml

    shipped = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    assert set(shipped) == set(DEFAULTS)
    config = load()
    assert config["emergency_number"] == "911" and config["crisis_line"] == "988"
    assert config["poison_control"] == "1-800-222-1222"
    assert config["phone"] and config["booking_url"]


def test_a_clinic_config_that_names_no_file_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINIC_CONFIG", str(tmp_path / "clinc.yml"))
    with pytest.raises(FileNotFoundError, match="clinc.yml"):
        load()


@pytest.mark.parametrize("origin, ok", [("*", False), ("", False), ("www.clinic.example", False),
                                        ("https://www.clinic.example", True)])
def test_the_production_origin_passes_the_same_check(origin, ok):
    """deploy/compose.yml runs `python -m actions.clinic "$CLINIC_ORIGIN"` before Rasa gets it as --cors."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    result = subprocess.run([sys.executable, "-m", "actions.clinic", origin], cwd=ROOT, capture_output=True, text=True)
    assert (result.returncode == 0) == ok, result.stderr


def test_compose_checks_the_origin_before_rasa_starts():
    import yaml

    from tests.conftest import ROOT

    compose = yaml.safe_load((ROOT / "deploy" / "compose.yml").read_text(encoding="utf-8"))
    command = " ".join(compose["x-rasa"]["command"])
    check, start = command.index("-m actions.clinic"), command.index("rasa run")
    assert check < start and "&& exec" in command[check:start] and '--cors "$$CLINIC_ORIGIN"' in command


def test_missing_keys_take_the_defaults(tmp_path):
    path = tmp_path / "clinic.yml"
    path.write_text("name: Lakeside Clinic\nemergency_number: '112'\n")
    config = load(path)
    assert config["name"] == "Lakeside Clinic" and config["emergency_number"] == "112"
    assert config["crisis_line"] == DEFAULTS["crisis_line"] and config["phone"] is None


def test_an_unknown_key_is_an_error(tmp_path):
    path = tmp_path / "clinic.yml"
    path.write_text("telephone: '555'\n")
    with pytest.raises(ValueError, match="telephone"):
        load(path)


def test_the_environment_names_another_file(tmp_path, monkeypatch):
    path = tmp_path / "other.yml"
    path.write_text("name: Other Clinic\n")
    monkeypatch.setenv("CLINIC_CONFIG", str(path))
    assert load()["name"] == "Other Clinic"


def test_tel_links_keep_only_digits_and_plus():
    assert tel("+1 (555) 010-0100") == "tel:+15550100100"


def test_allowed_origins_default_to_the_demo_page_and_never_allow_everyone(tmp_path):
    path = tmp_path / "clinic.yml"
    path.write_text("name: X\n")
    assert load(path)["allowed_origins"] == ["http://localhost:8000"]
    path.write_text("allowed_origins: ['*']\n")
    with pytest.raises(ValueError, match="never"):
        load(path)
