"""CN application check digit (pure; groundwork for issue 18).

The expected digits below are computed by the CNIPA algorithm by hand (weights
2..9,2..5 mod 11, 10 as X); they are not claimed to be real published numbers.
"""

import pytest

from platform_api.technologies.ip_numbers import cn_check_digit


@pytest.mark.parametrize(
    "digits, check",
    [
        ("201310123456", "2"),  # 2*2+0*3+1*4+3*5+1*6+0*7+1*8+2*9+3*2+4*3+5*4+6*5 = 123; 123 % 11 = 2
        ("202310123456", "6"),  # so the "CN202310123456.7" fails its check digit
        ("200410011836", "8"),
        ("98100001", "0"),  # pre-2003 form, weights 2..9
        ("01234567", "9"),
    ],
)
def test_cn_check_digit(digits, check):
    assert cn_check_digit(digits) == check


def test_cn_check_digit_ten_is_x():
    # find a number whose weighted sum is 10 mod 11: 20131012345 + last digit d -> 123 - 30 + 5d
    # 93 + 5d = 10 (mod 11) -> 5d = 5 (mod 11) -> d = 1
    assert cn_check_digit("201310123451") == "X"


@pytest.mark.parametrize("bad", ["", "1234567", "1234567890123", "20131012345a", "２０１３１０１２３４５６"])
def test_cn_check_digit_refuses_other_shapes(bad):
    with pytest.raises(ValueError):
        cn_check_digit(bad)
