"""The clinic configuration: one file, documented defaults, no surprises."""
import pytest

from actions.clinic import DEFAULTS, load, tel


def test_the_shipped_file_overrides_every_contact_detail():
    config = load()
    assert config["emergency_number"] == "911" and config["crisis_line"] == "988"
    assert config["phone"] and config["booking_url"]


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
