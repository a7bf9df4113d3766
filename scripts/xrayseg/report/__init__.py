"""The comparison report: results/report.html, one page with every model side by side.

Modules, one job each: inputs (read the pipeline's files), scores (the comparison table and paired
differences), style (colours, PNG rendering), datafigures / figures / comparepanels (the figures),
tables (HTML tables), sections (the page's sections and their prose), provenance (how the results
were made), page (HTML assembly), build (the whole report from file paths).
"""

from xrayseg.report.build import build_report

__all__ = ["build_report"]
