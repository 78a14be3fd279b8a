"""Statistics for evaluation results: the one place where Concord computes uncertainty.

Modules: `distributions` (normal and Student-t), `estimates` (means, proportions, clustered
standard errors, a run's score summary), `paired` (two runs on the same samples), `agreement`
(raters, reviewers vs the scorer), `judging` (a binary judge against people: balanced accuracy,
Fleiss' kappa interval). Import the package (`from evaluations import stats`): it
exports every public name.

Pure Python (standard library only), no Django. Every function validates its input and raises
``ValueError`` with a readable message rather than dividing by zero; quantities that are *undefined*
for valid input (a standard error from one observation, kappa when chance agreement is already
perfect) are returned as ``None`` so that pages can print "n/a" instead of a fake number.

Conventions
-----------
- ``n`` counts observations (one per sample and epoch), ``clusters`` counts independent units (the
  distinct sample ids). Without clustering every observation is its own cluster.
- The standard error of a mean is always the classical ``s / sqrt(n)`` with the ``n - 1`` sample
  variance (the same figure Inspect's ``stderr`` metric reports), or its cluster-robust version
  when observations are clustered; the two agree exactly when every cluster has one observation.
- Confidence intervals are two-sided at ``confidence`` (0.95 by default).

Which interval by default, and why
----------------------------------
The default for a mean is the Student-t interval ``mean ± t_{1-α/2, G-1} · SE`` (``G`` clusters).
Miller (2024) uses the normal (CLT) interval ``mean ± 1.96 · SE``, which is right for the hundreds
or thousands of samples of most benchmarks; but agentic and expert-written tasks often have 10-50
samples, where the normal interval is too narrow (with 10 samples the t critical value is 2.26, not
1.96: the normal interval would cover ~92% instead of 95%). The t interval is never narrower, and
converges to the normal one (within 0.3% at 500 samples), so it is a safe default at every size.
``method="normal"`` gives the CLT interval. For scores bounded in [0, 1] :func:`score_summary` uses
the Wilson score interval instead, which stays inside [0, 1] and sensible near 0% and 100% where
``mean ± t · SE`` collapses to a zero-width interval or passes 1: for 0/1 scores with one epoch
the plain Wilson interval, otherwise (several epochs, fractional scores) Wilson at the effective
sample size of the clustered standard error, n_eff = p̂(1-p̂)/SE² (Kish's n / design effect;
:func:`effective_wilson_interval`). Its coverage is in docs/results.md and
tests/evaluations/stats/test_coverage.py.

References
----------
- E. Miller (2024), "Adding Error Bars to Evals: A Statistical Approach to Language Model
  Evaluations", arXiv:2411.00640 (CLT and clustered standard errors, paired differences).
- A. C. Cameron and D. L. Miller (2015), "A Practitioner's Guide to Cluster-Robust Inference",
  Journal of Human Resources 50(2): 317-372 (CR1 small-sample factor G/(G-1), G-1 degrees of freedom).
- E. L. Korn and B. I. Graubard (1998), "Confidence intervals for proportions with small expected
  number of positive counts estimated from survey data", Survey Methodology 24: 193-201
  (effective sample size n / deff for a clustered proportion).
- E. B. Wilson (1927), "Probable inference, the law of succession, and statistical inference",
  JASA 22: 209-212; R. G. Newcombe (1998), "Two-sided confidence intervals for the single
  proportion: comparison of seven methods", Statistics in Medicine 17: 857-872.
- J. Cohen (1960), "A coefficient of agreement for nominal scales", Educational and Psychological
  Measurement 20: 37-46; J. L. Fleiss, J. Cohen and B. S. Everitt (1969), "Large sample standard
  errors of kappa and weighted kappa", Psychological Bulletin 72: 323-327.
- J. L. Fleiss (1971), "Measuring nominal scale agreement among many raters", Psychological
  Bulletin 76: 378-382.
- W. H. Press et al., "Numerical Recipes", 3rd ed., §6.4 (incomplete beta by continued fraction).
"""

from __future__ import annotations

from evaluations.stats.agreement import (
    FleissKappa,
    KappaEstimate,
    RaterAgreement,
    ScoreAgreement,
    agreement_rate,
    cohen_kappa,
    cohen_kappa_from_table,
    fleiss_kappa,
    rater_agreement,
    score_agreement,
)
from evaluations.stats.distributions import (
    DEFAULT_CONFIDENCE,
    Method,
    critical_value,
    normal_quantile,
    normal_two_sided_p,
    regularized_incomplete_beta,
    t_cdf,
    t_quantile,
    t_two_sided_p,
)
from evaluations.stats.estimates import (
    EFFECTIVE_WILSON,
    ClusterMoments,
    MeanEstimate,
    clustered_standard_error,
    effective_wilson_interval,
    is_binary,
    mean,
    mean_estimate,
    proportion_estimate,
    score_summary,
    score_summary_from_moments,
    standard_error,
    wilson_interval,
)
from evaluations.stats.judging import (
    BalancedAccuracy,
    balanced_accuracy,
    fleiss_kappa_interval,
)
from evaluations.stats.paired import (
    PairedDifference,
    paired_difference,
)

__all__ = [
    "DEFAULT_CONFIDENCE",
    "EFFECTIVE_WILSON",
    "BalancedAccuracy",
    "ClusterMoments",
    "FleissKappa",
    "KappaEstimate",
    "MeanEstimate",
    "Method",
    "PairedDifference",
    "RaterAgreement",
    "ScoreAgreement",
    "agreement_rate",
    "balanced_accuracy",
    "clustered_standard_error",
    "cohen_kappa",
    "cohen_kappa_from_table",
    "critical_value",
    "effective_wilson_interval",
    "fleiss_kappa",
    "fleiss_kappa_interval",
    "is_binary",
    "mean",
    "mean_estimate",
    "normal_quantile",
    "normal_two_sided_p",
    "paired_difference",
    "proportion_estimate",
    "rater_agreement",
    "regularized_incomplete_beta",
    "score_agreement",
    "score_summary",
    "score_summary_from_moments",
    "standard_error",
    "t_cdf",
    "t_quantile",
    "t_two_sided_p",
    "wilson_interval",
]
