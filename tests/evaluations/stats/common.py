"""What the statistics tests share: tolerances, the standard normal quantile, hypothesis
strategies and the bounded example count.

Expected figures in these tests are computed independently of the code under test: by hand in the
comments, from closed forms of the t distribution for 1, 2, 3 and 4 degrees of freedom, from
published tables, or by scipy.
"""

from __future__ import annotations

import pytest
from hypothesis import strategies as st

from tests.properties import bounded

TOL = 1e-9
Z975 = 1.959963984540054  # Φ⁻¹(0.975), to double precision.

FAST = bounded(120)

scores = st.floats(min_value=0.0, max_value=1.0, allow_nan=False, allow_infinity=False)
bits = st.integers(min_value=0, max_value=1)


def approx(x: float) -> object:
    return pytest.approx(x, abs=TOL, rel=0)
