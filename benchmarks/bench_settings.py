"""Settings of the processes the benchmarks start: the production settings (`config.settings`,
driven by the environment that `benchmarks.common.production_env` builds), with one addition, the
benchmark URLconf: the product's URLs plus the framework-ceiling view. Nothing here is in the
product."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bench_urls"
