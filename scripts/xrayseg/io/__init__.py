"""File formats shared by the stages: one module per kind of file, with its reader and writer."""
