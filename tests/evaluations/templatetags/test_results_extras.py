import pytest
from django.template import Context, Template

from evaluations.templatetags.results_extras import kappa


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (-0.0333, "−0.033"),  # a true minus sign, three decimals
        (0.8124, "0.812"),
        (1, "1.000"),
        (-0.0001, "0.000"),  # no "−0.000"
        (None, "n/a"),
        (float("nan"), "n/a"),
    ],
)
def test_kappa_is_written_one_way(value, text):
    assert kappa(value) == text


def test_the_kappa_filter_in_a_template():
    template = Template("{% load results_extras %}κ = {{ k|kappa }}")
    assert template.render(Context({"k": -0.25})) == "κ = −0.250"
