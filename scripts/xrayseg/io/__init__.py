"""File formats shared by the stages: one reader or writer per kind of file.

Modules: atomic (outputs appear complete or not at all), readers (TIFF / PNG / HDF5 slices behind
one interface), greyslice (the checks every raw slice passes, in ingest and predict), volume (the
ingested volume's layout, its metadata reader and IGNORE_INDEX), tables (CSV and JSON),
labelfiles (segmentations in the training label values: slices and stacks, read back as classes),
probabilities (the class-probability HDF5 file of evaluate and predict), logsetup (a job's log),
progress (progress lines of long loops).
"""
