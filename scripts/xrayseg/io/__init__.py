"""File formats shared by the stages: atomic writes, slice readers, the volume file, logging.

Modules: atomic (outputs appear complete or not at all), readers (TIFF / PNG / HDF5 slices behind
one interface), volume (the ingested volume's layout and IGNORE_INDEX), logsetup (a job's log),
progress (progress lines of long loops).
"""
