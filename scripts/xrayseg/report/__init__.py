"""The comparison report: results/report.html, one page with every model side by side.

Rule report (scripts/report.py).
Entry: build.build_report.
"""
