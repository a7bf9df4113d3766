"""Clean-up: 3-D majority vote and small-island removal of predicted labels.

Chosen per model on the val block (evaluate) and applied to new scans (predict), where it
streams over slabs with halos so memory does not grow with the scan.
"""
