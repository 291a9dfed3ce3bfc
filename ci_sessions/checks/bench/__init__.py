"""The benchmark regression gate: pytest-benchmark runs, stored baselines, the statistics that
decide a regression, and the Markdown/SVG report."""
