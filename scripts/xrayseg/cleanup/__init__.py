"""Clean-up of predicted labels in 3-D: a majority vote over a box and the removal of small
islands, chosen per model on the val block (evaluate) and applied to new scans (predict), where
it streams over slabs with halos so memory does not grow with the scan.

Nothing is imported here.
"""
