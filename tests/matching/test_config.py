import pytest

from platform_api.config import DEFAULT_MATCH_WEIGHTS, ConfigError, load_settings


def settings(value):
    return load_settings({"env": "test", "secret_key": "k" * 40}, environ={"PLATFORM_MATCH_WEIGHTS": value})


def test_defaults_and_overrides(tmp_path):
    base = load_settings({"env": "test", "secret_key": "k" * 40, "instance_path": str(tmp_path)}, environ={})
    assert base.match_weights == DEFAULT_MATCH_WEIGHTS
    assert sum(DEFAULT_MATCH_WEIGHTS.values()) == pytest.approx(1.0)
    got = settings("field=0.25,trl=0.2,price=0.15,country=0.1,deal_type=0.15,text=0.3").match_weights
    assert got["text"] == 0.3
    assert settings(" price = 0 , ").match_weights == {**DEFAULT_MATCH_WEIGHTS, "price": 0.0}


@pytest.mark.parametrize("value, message", [
    ("colour=1", "unknown factor 'colour'"),
    ("text", "must look like"),
    ("text=much", "must be a number"),
    ("text=-0.1", "between 0 and 1000"),
    ("text=inf", "between 0 and 1000"),
    ("field=0,trl=0,price=0,country=0,deal_type=0,text=0", "at least one factor"),
])
def test_bad_weights_stop_the_service(value, message):
    with pytest.raises(ConfigError, match=message):
        settings(value)
